-- wrk script: every request is a random line of the file named after `--`.
-- A line is METHOD, path, one header name and value, and a body (may be
-- empty), separated by tabs. Requests are formatted once, in init, so that
-- choosing one costs the load generator next to nothing.

local prepared = {}

function init(args)
  for line in io.lines(args[1]) do
    local method, path, name, value, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { [name] = value }
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    prepared[#prepared + 1] = wrk.format(method, path, headers, body)
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  return prepared[math.random(#prepared)]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    "WRK_RESULT %d %d %d %d %d %d\n",
    summary.requests,
    summary.duration,
    errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50),
    latency:percentile(99)
  ))
end
