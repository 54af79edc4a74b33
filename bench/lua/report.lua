-- Prints wrk's figures as one JSON line, for bench/harness.py.
-- Other scripts define their own request/response and then call report(...).

function report(summary, latency, extra)
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "errors": {"connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d}%s}\n',
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout,
      extra or ""))
end

done = function(summary, latency, requests)
   report(summary, latency, nil)
end
