-- wrk script for every scenario: method, body, headers and per-request DPoP proofs come from the
-- environment; done() prints one JSON line ("RESULT {...}") for bench/lib/common.sh.
--   BENCH_METHOD   GET (default) or PUT/POST
--   BENCH_BODY     file whose bytes are the request body
--   BENCH_HEADERS  file of "Name: value" lines sent with every request
--   BENCH_ROTATE   N: append (counter mod N) to the path (PUT to N distinct resources)
--   BENCH_PROOFS   prefix of per-thread proof files (PREFIX.1, PREFIX.2, ...): one fresh DPoP
--                  proof per request, never reused; running out counts as an error
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  local bf = os.getenv("BENCH_BODY")
  body = bf and read(bf) or nil
  headers = {}
  local hf = os.getenv("BENCH_HEADERS")
  if hf then
    for line in io.lines(hf) do
      local k, v = line:match("^([^:]+):%s*(.*)$")
      if k then headers[k] = v end
    end
  end
  rotate = tonumber(os.getenv("BENCH_ROTATE") or "0")
  proofs = nil
  local pf = os.getenv("BENCH_PROOFS")
  if pf then
    proofs = {}
    for line in io.lines(pf .. "." .. id) do proofs[#proofs + 1] = line end
  end
  n = 0
  exhausted = 0
  -- BENCH_MANY=PREFIX:PODS:PER_POD:TOKENFILE: each request reads a random record
  -- /PREFIX{i}/gigs/acme/r{j} with pod i's token (line i+1 of TOKENFILE)
  many = nil
  local m = os.getenv("BENCH_MANY")
  if m then
    local prefix, pods, per, tf = m:match("^([^:]+):(%d+):(%d+):(.+)$")
    many = { prefix = prefix, pods = tonumber(pods), per = tonumber(per), tokens = {} }
    for line in io.lines(tf) do many.tokens[#many.tokens + 1] = line end
    math.randomseed(os.time() + id * 7919)
  end
end

function request()
  n = n + 1
  local path = wrk.path
  if rotate > 0 then path = path .. (id * 1000000 + n % rotate) end
  if many then
    local i = math.random(0, many.pods - 1)
    local j = math.random(0, many.per - 1)
    path = "/" .. many.prefix .. i .. "/gigs/acme/r" .. j
    headers["Authorization"] = "Bearer " .. many.tokens[i + 1]
  end
  if proofs then
    local p = proofs[n]
    if not p then
      exhausted = exhausted + 1
      p = proofs[#proofs]
    end
    headers["DPoP"] = p
  end
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local ex = 0
  for _, t in ipairs(threads) do ex = ex + (t:get("exhausted") or 0) end
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,"proofs_exhausted":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, ex))
end
