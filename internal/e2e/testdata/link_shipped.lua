-- Native alternatives to tracelink (BenchmarkMemory, TestCPULimit). link_shipped: after the
-- parser filter lifted the pino line's JSON (as tracelink's Merge_Log does), write the Cloud
-- Logging link fields from dd.trace_id / dd.span_id (decimal, full 64-bit range through
-- LuaJIT's uint64 cdata) and the severity from pino's numeric level.

local function dec64(s)
  local n = 0ULL
  for i = 1, #s do n = n * 10ULL + (s:byte(i) - 48) end
  return n
end

local levels = { [10] = "DEBUG", [20] = "DEBUG", [30] = "INFO", [40] = "WARNING", [50] = "ERROR", [60] = "CRITICAL" }

function link_shipped(tag, ts, record)
  local dd = record["dd"]
  if dd == nil or dd["trace_id"] == nil or dd["span_id"] == nil then return 0, ts, record end
  record["logging.googleapis.com/trace"] = "projects/demo-project/traces/0000000000000000" .. bit.tohex(dec64(dd["trace_id"]), 16)
  record["logging.googleapis.com/spanId"] = bit.tohex(dec64(dd["span_id"]), 16)
  record["logging.googleapis.com/severity"] = levels[record["level"]]
  dd["trace_id"], dd["span_id"] = nil, nil
  return 1, ts, record
end

-- link_dd: the same line for Datadog (TestCPULimit's native pipeline): dd-trace-js logs
-- the ids in decimal already; they go to the top-level keys Datadog reads.
function link_dd(tag, ts, record)
  local dd = record["dd"]
  if dd == nil or dd["trace_id"] == nil then return 0, ts, record end
  record["dd.trace_id"] = dd["trace_id"]
  record["dd.span_id"] = dd["span_id"]
  return 1, ts, record
end
