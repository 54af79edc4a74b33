-- Residents booking first + second dose, for bench/booking.py.
--
-- Run with as many wrk threads as connections (wrk -t N -c N): each thread then
-- owns exactly one connection, so response() always answers this thread's last
-- request, and a resident's state (session cookie, CSRF token, the form on the
-- page) lives in plain variables of the thread.
--
-- A resident opens the time page of a day, picks one of the free times at
-- random and presses "book". On an error page (time taken, busy, ...) the page
-- shows a fresh form, and the resident picks again from it. A day without free
-- times sends them to the next day; after the last day they give up. The
-- errors are counted by kind from the page's message (the German texts come
-- from the data file, so that nothing here depends on the wording).
--
-- Arguments: data file, folder for "done" marker files.
-- Data file lines:  day <path part "/slug/YYYY-MM-DD/">
--                   msg <kind> <text the page shows>
--                   session <client number> <session key> <person id> [<person id> ...]
--                   cookie <session|csrf> <cookie name> (production names start with __Host-)

dofile("bench/lua/report.lua")

local MAX_TRIES_PER_PERSON = 40
local KINDS = {
   "get", "post", "booked", "slot_taken", "slot_gone", "busy", "second_dose",
   "already_booked", "stale_form", "all_days_full", "gave_up", "csrf_403",
   "http_5xx", "redirect", "unexpected",
}

local threads = {}
local clients = 0

function setup(thread)
   clients = clients + 1
   thread:set("client", clients)
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
stats = {}
local ready = false
local done_dir
local days, messages, sessions = {}, {}, {}
local cookie_names = { session = "sessionid", csrf = "csrftoken" }
local s_i, p_i = 1, 1               -- current session and person in it
local day_i, days_tried, tries = 1, 0, 0
local csrf_cookie
-- A resident reaches the time page after the phone number and code pages, which
-- set the CSRF cookie: each session's browser starts with one, a secret of 32
-- letters and digits as Django makes it. (wrk shows one Set-Cookie header of an
-- answer only: one that sets the session cookie too would hide the CSRF cookie.)
local CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

local function earlier_pages_csrf_cookie()
   local secret = {}
   for i = 1, 32 do
      local at = math.random(#CSRF_CHARS)
      secret[i] = CSRF_CHARS:sub(at, at)
   end
   return table.concat(secret)
end
local form                          -- {csrf=, token=, slots={...}} of the page on screen
local last                          -- "get" or "post": what the connection is waiting for
local finished = false
local csrf_pattern

local function split(line)
   local words = {}
   for word in line:gmatch("%S+") do table.insert(words, word) end
   return words
end

function init(args)
   for _, kind in ipairs(KINDS) do stats[kind] = 0 end
   math.randomseed(client * 7919 + os.time())
   done_dir = args[2]
   for line in io.lines(args[1]) do
      local words = split(line)
      if words[1] == "day" then
         table.insert(days, words[2])
      elseif words[1] == "msg" then
         local text = line:match("^msg %S+ (.*)$")
         table.insert(messages, { kind = words[2], text = text })
      elseif words[1] == "cookie" then
         cookie_names[words[2]] = words[3]
      elseif words[1] == "session" and tonumber(words[2]) == client then
         local people = {}
         for i = 4, #words do table.insert(people, words[i]) end
         table.insert(sessions, { key = words[3], people = people })
      end
   end
   csrf_pattern = cookie_names.csrf:gsub("%-", "%%-")
   day_i = (client % #days) + 1   -- spread the first visits over the days
   csrf_cookie = earlier_pages_csrf_cookie()
   ready = true
   if #sessions == 0 then finish() end
end

function finish()
   finished = true
   if done_dir then
      local marker = io.open(done_dir .. "/" .. tostring(client), "w")
      if marker then marker:close() end
   end
end

local function next_person()
   form, tries, days_tried = nil, 0, 0
   p_i = p_i + 1
   if p_i > #sessions[s_i].people then
      s_i, p_i = s_i + 1, 1
      csrf_cookie = earlier_pages_csrf_cookie()  -- the next resident's own browser
   end
   if s_i > #sessions then finish() end
end

local function next_day()
   form = nil
   days_tried = days_tried + 1
   day_i = (day_i % #days) + 1
   if days_tried >= #days then
      stats.all_days_full = stats.all_days_full + 1
      next_person()
   end
end

local function path()
   return "/book/" .. sessions[s_i].people[p_i] .. days[day_i]
end

local function cookies()
   local cookie = cookie_names.session .. "=" .. sessions[s_i].key
   if csrf_cookie then cookie = cookie .. "; " .. cookie_names.csrf .. "=" .. csrf_cookie end
   return cookie
end

function request()
   if finished then
      -- gunicorn's sync workers close every connection after the answer, and wrk
      -- opens the next one at once. Stopping in response() would leave that new
      -- connection without a request, and the worker that accepted it would wait
      -- on it. So stop here and send one last cheap request, which the worker
      -- answers and closes; wrk no longer reads (or counts) the answer.
      wrk.thread:stop()
      return wrk.format("GET", "/bench/one-query/")
   end
   if not ready then
      return wrk.format("GET", "/bench/one-query/")  -- wrk's check of the script
   end
   tries = tries + 1
   local headers = { ["Cookie"] = cookies() }
   if form then
      last = "post"
      stats.post = stats.post + 1
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      local slot = form.slots[math.random(#form.slots)]
      local body = "csrfmiddlewaretoken=" .. form.csrf .. "&token=" .. form.token
         .. "&slot=" .. slot
      return wrk.format("POST", path(), headers, body)
   end
   last = "get"
   stats.get = stats.get + 1
   return wrk.format("GET", path(), headers)
end

local function read_form(body)
   local slots = {}
   for slot in body:gmatch('name="slot" value="(%d+)"') do table.insert(slots, slot) end
   local token = body:match('name="token" value="([%x%-]+)"')
   local csrf = body:match('name="csrfmiddlewaretoken" value="(%w+)"')
   if #slots > 0 and token and csrf then
      return { slots = slots, token = token, csrf = csrf }
   end
   return nil
end

local function count_error(body)
   for _, message in ipairs(messages) do
      if body:find(message.text, 1, true) then
         stats[message.kind] = stats[message.kind] + 1
         return
      end
   end
   stats.unexpected = stats.unexpected + 1
end

function response(status, headers, body)
   if finished then return end
   -- Header names are case-insensitive; HAProxy (bench/cluster.py) sends them in lower case.
   local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
   if set_cookie then
      -- Anchored: "csrftoken=" must not match inside "__Host-csrftoken=".
      csrf_cookie = ("; " .. set_cookie):match("[;,]%s*" .. csrf_pattern .. "=([^;]+)")
         or csrf_cookie
   end
   local was = last
   last = nil

   if status == 302 then
      local location = headers["Location"] or headers["location"] or ""
      if was == "post" and location:find("/booking/", 1, true) then
         stats.booked = stats.booked + 1
      else
         stats.redirect = stats.redirect + 1   -- e.g. sent to verification: a broken session
      end
      next_person()
      return
   end
   if status >= 500 then
      stats.http_5xx = stats.http_5xx + 1
      form = nil
   elseif status == 403 then
      stats.csrf_403 = stats.csrf_403 + 1
      form, csrf_cookie = nil, nil
   elseif status ~= 200 then
      stats.unexpected = stats.unexpected + 1
      form = nil
   else
      if was == "post" then count_error(body) end
      form = read_form(body)
      if not form then
         next_day()
         return
      end
   end
   if tries >= MAX_TRIES_PER_PERSON then
      stats.gave_up = stats.gave_up + 1
      next_person()
   end
end

function done(summary, latency, requests)
   local total = {}
   for _, kind in ipairs(KINDS) do total[kind] = 0 end
   for _, thread in ipairs(threads) do
      local counts = thread:get("stats")
      for _, kind in ipairs(KINDS) do total[kind] = total[kind] + (counts[kind] or 0) end
   end
   local parts = {}
   for _, kind in ipairs(KINDS) do
      table.insert(parts, string.format('"%s": %d', kind, total[kind]))
   end
   report(summary, latency, ', "outcomes": {' .. table.concat(parts, ", ") .. "}")
end
