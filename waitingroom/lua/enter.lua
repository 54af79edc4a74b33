-- One resident's request at a guarded page, atomically (waitingroom/room.py).
--
-- KEYS: 1 queue (zset ticket -> order), 2 seen (zset ticket -> last refresh),
--       3 active (zset ticket -> last request), 4 seq (arrival counter),
--       5 bucket (hash tokens, ts), 6 rate (admissions/s set by the controller),
--       7 pre (hash ticket -> arrival number, this opening's pre-queue),
--       8 fresh (zset: admitted from the queue, not yet back), 9 measured,
--       10 the day's figures (hash joined, admitted, peak),
--       11 capacity (residents in the flow at once, set by the controller).
-- ARGV: 1 ticket, 2 now, 3 default capacity, 4 active idle s, 5 arrival window s,
--       6 grace s, 7 burst, 8 default rate, 9 pre-queue start (0: none),
--       10 opens at (0: none), 11 pre-queue score, 12 returning (1/0),
--       13 prefix of the per-second admission counters.
-- Returns {status, ahead, length, admitted from the queue now, joined now, measured rate}
-- status: 1 admitted, 2 queued, 3 pre-queued.
local queue, seen, active, seq, bucket, ratekey, pre, fresh, measured, day =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local ticket = ARGV[1]
local now = tonumber(ARGV[2])
local capacity = tonumber(redis.call('GET', KEYS[11])) or tonumber(ARGV[3])
local idle = tonumber(ARGV[4])
local arrive = tonumber(ARGV[5])
local grace = tonumber(ARGV[6])
local burst = tonumber(ARGV[7])
local default_rate = tonumber(ARGV[8])
local pre_from = tonumber(ARGV[9])
local opens = tonumber(ARGV[10])
local pre_score = tonumber(ARGV[11])
local returning = ARGV[12] == '1'
local admitted_prefix = ARGV[13]

-- Residents who went idle leave the flow; places not refreshed for the
-- grace period leave the queue (a bounded batch per call).
redis.call('ZREMRANGEBYSCORE', active, '-inf', now - idle)
redis.call('ZREMRANGEBYSCORE', fresh, '-inf', now - grace)
local dead = redis.call('ZRANGEBYSCORE', seen, '-inf', now - grace, 'LIMIT', 0, 500)
if #dead > 0 then
  redis.call('ZREM', queue, unpack(dead))
  redis.call('ZREM', seen, unpack(dead))
end

local prequeueing = opens > 0 and now >= pre_from and now < opens

-- Token bucket: admissions per second, whatever the free capacity.
local rate = tonumber(redis.call('GET', ratekey)) or default_rate
local b = redis.call('HMGET', bucket, 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end

-- Let the head of the queue in, as far as capacity and rate allow. Nobody
-- leaves the queue before the opening: the pre-queue is one cohort.
if not prequeueing then
  local n = math.min(capacity - redis.call('ZCARD', active), math.floor(tokens))
  if n > 0 then
    local heads = redis.call('ZPOPMIN', queue, n)
    local count = 0
    for i = 1, #heads, 2 do
      local member = heads[i]
      -- They have ARRIVE seconds to come back (their page refreshes) before
      -- the place counts as abandoned; each request then renews it.
      redis.call('ZADD', active, now - idle + arrive, member)
      redis.call('ZREM', seen, member)
      redis.call('ZADD', fresh, now, member)
      count = count + 1
    end
    if count > 0 then
      tokens = tokens - count
      local key = admitted_prefix .. math.floor(now)
      redis.call('INCRBY', key, count)
      redis.call('EXPIRE', key, 180)
      redis.call('HINCRBY', day, 'admitted', count)
      redis.call('EXPIRE', day, 3 * 86400)
    end
  end
end

local measured_rate = tonumber(redis.call('GET', measured)) or 0

if redis.call('ZSCORE', active, ticket) then
  redis.call('ZADD', active, now, ticket)
  local from_queue = redis.call('ZREM', fresh, ticket)
  redis.call('HSET', bucket, 'tokens', tokens, 'ts', ts)
  return {1, 0, 0, from_queue, 0, tostring(measured_rate)}
end

local status = 2
if prequeueing then status = 3 end
local length = redis.call('ZCARD', queue)
if redis.call('ZSCORE', queue, ticket) then
  redis.call('ZADD', seen, now, ticket)
  redis.call('HSET', bucket, 'tokens', tokens, 'ts', ts)
  return {status, redis.call('ZRANK', queue, ticket), length, 0, 0, tostring(measured_rate)}
end

-- A ticket without a place: while there is room it walks straight in (the
-- room is invisible), otherwise it joins the queue.
if not prequeueing and length == 0 and tokens >= 1
    and redis.call('ZCARD', active) < capacity then
  tokens = tokens - 1
  redis.call('ZADD', active, now, ticket)
  redis.call('HSET', bucket, 'tokens', tokens, 'ts', ts)
  return {1, 0, 0, 0, 0, tostring(measured_rate)}
end

local score
local arrival = redis.call('INCR', seq)
if prequeueing then
  -- The keyed shuffle: the same ticket always gets the same place, so
  -- coming back (or refreshing) cannot re-roll it.
  score = pre_score
  redis.call('HSETNX', pre, ticket, arrival)
elseif returning or redis.call('ZREM', fresh, ticket) == 1 then
  -- Was let in before and went idle (or was let in while away and came back
  -- within the grace period): back at the front, not the end.
  score = -1
else
  score = 1 + arrival
end
redis.call('ZADD', queue, score, ticket)
redis.call('ZADD', seen, now, ticket)
redis.call('HSET', bucket, 'tokens', tokens, 'ts', ts)
redis.call('HINCRBY', day, 'joined', 1)
if length + 1 > (tonumber(redis.call('HGET', day, 'peak')) or 0) then
  redis.call('HSET', day, 'peak', length + 1)
end
redis.call('EXPIRE', day, 3 * 86400)
return {status, redis.call('ZRANK', queue, ticket), length + 1, 0, 1, tostring(measured_rate)}
