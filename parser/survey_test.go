package parser

import "testing"

// TestFormatSurvey has one case per row of docs/formats.md: the shape each source writes,
// in JSON and in text where the source writes both. The ids are made up; the shapes (keys,
// id encodings, text forms) are the sources' own, as the document's links show.
func TestFormatSurvey(t *testing.T) {
	const (
		tr   = "4bf92f3577b34da6a3ce929d0e0e4736"
		sp   = "00f067aa0ba902b7"
		tr64 = "a3ce929d0e0e4736"
		pad  = "0000000000000000"
		// The same ids in Datadog's decimal: lower 64 bits of tr, and sp.
		ddTr = "11803532876627986230"
		ddSp = "67667974448284343"
		xray = "1-5759e988-bd862e3fe1be46a994272793"
		xrTr = "5759e988bd862e3fe1be46a994272793"
	)
	checkLinks(t, []linkCase{
		// OpenTelemetry SDKs and log bridges.
		{name: "otel-go stdoutlog", line: `{"Timestamp":"2024-05-01T10:00:00Z","Severity":9,"Body":{"Type":"String","Value":"hello"},"TraceID":"` + tr + `","SpanID":"` + sp + `","TraceFlags":"01"}`, trace: tr, span: sp, sampled: true, source: SourceOTel},
		{name: "otel-go otelzap console", line: `{"level":"info","msg":"hello","trace_id":"` + tr + `","span_id":"` + sp + `"}`, trace: tr, span: sp, source: SourceOTel},
		{name: "otel-java logback-mdc text", line: `10:00:00.000 INFO trace_id=` + tr + ` span_id=` + sp + ` trace_flags=01 hello`, trace: tr, span: sp, sampled: true, source: SourceOTel},
		{name: "otel-java logstash json", line: `{"@timestamp":"2024-05-01T10:00:00Z","message":"hello","trace_id":"` + tr + `","span_id":"` + sp + `","trace_flags":"01"}`, trace: tr, span: sp, sampled: true},
		{name: "otel-python logging text", line: `2024-05-01 10:00:00,000 INFO [app] [main.py:9] [trace_id=` + tr + ` span_id=` + sp + ` resource.service.name=app trace_sampled=True] - hello`, trace: tr, span: sp, sampled: true},
		{name: "otel-python logging json", line: `{"message":"hello","otelTraceID":"` + tr + `","otelSpanID":"` + sp + `","otelTraceSampled":true,"otelServiceName":"app"}`, trace: tr, span: sp, sampled: true},
		{name: "otel-js pino", line: `{"level":30,"time":1714557600000,"msg":"hello","trace_id":"` + tr + `","span_id":"` + sp + `","trace_flags":"01"}`, trace: tr, span: sp, sampled: true},
		{name: "otel-js winston", line: `{"message":"hello","level":"info","trace_id":"` + tr + `","span_id":"` + sp + `","trace_flags":"01"}`, trace: tr, span: sp, sampled: true},
		{name: "otel-dotnet json console scopes", line: `{"Timestamp":"10:00:00","EventId":0,"LogLevel":"Information","Category":"App","Message":"hello","State":{},"Scopes":[{"Message":"SpanId:` + sp + `, TraceId:` + tr + `, ParentId:0000000000000000","SpanId":"` + sp + `","TraceId":"` + tr + `","ParentId":"0000000000000000"}]}`, trace: tr, span: sp},
		{name: "otel-ruby logs bridge via collector file exporter", line: `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hello"},"traceId":"` + tr + `","spanId":"` + sp + `","flags":1}]}]}]}`, trace: tr, span: sp, sampled: true},
		{name: "otel-php psr3 inject", line: `{"message":"hello","context":{"traceId":"` + tr + `","spanId":"` + sp + `"},"level":200,"channel":"app"}`, trace: tr, span: sp},
		{name: "otel-rust tracing json", line: `{"timestamp":"2024-05-01T10:00:00Z","level":"INFO","fields":{"message":"hello"},"target":"app","trace_id":"` + tr + `","span_id":"` + sp + `"}`, trace: tr, span: sp},
		{name: "otel-python console exporter", line: `{"body": "hello", "severity_number": 9, "severity_text": "INFO", "attributes": {}, "timestamp": "2024-05-01T10:00:00.000000Z", "trace_id": "0x` + tr + `", "span_id": "0x` + sp + `", "trace_flags": 1, "resource": {}}`, trace: tr, span: sp, sampled: true},
		{name: "otel-dotnet console exporter", line: "LogRecord.Timestamp:               2024-05-01T10:00:00.0000000Z\tLogRecord.TraceId:                 " + tr + "\tLogRecord.SpanId:                  " + sp + "\tLogRecord.TraceFlags:              Recorded", trace: tr, span: sp, sampled: true},
		{name: "otel-js console exporter", line: `{ resource: {}, timestamp: 1714557600000000, traceId: '` + tr + `', spanId: '` + sp + `', traceFlags: 1, severityText: 'INFO', body: 'hello' }`, trace: tr, span: sp, sampled: true},
		{name: "otel-erlang logger metadata", line: `2024-05-01T10:00:00.000000+00:00 info: hello, otel_span_id: ` + sp + `, otel_trace_flags: 01, otel_trace_id: ` + tr, trace: tr, span: sp, sampled: true},
		{name: "otel-python structlog int ids", line: `{"event":"hello","level":"info","trace_id":100985939111033328018442752961257817910,"span_id":67667974448284343}`, trace: tr, span: sp, source: SourceOTel},
		{name: "otel-collector otlp json", line: `{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"traceId":"` + tr + `","spanId":"` + sp + `","flags":3}]}]}]}`, trace: tr, span: sp, sampled: true, flags: "03"},
		// Datadog log injection.
		{name: "datadog python text", line: `2024-05-01 10:00:00,000 INFO [app] [main.py:9] [dd.service=app dd.env=prod dd.version=1 dd.trace_id=` + ddTr + ` dd.span_id=` + ddSp + `] - hello`, trace: pad + tr64, span: sp, source: SourceDatadog},
		{name: "datadog java json", line: `{"message":"hello","dd.trace_id":"` + ddTr + `","dd.span_id":"` + ddSp + `","dd.service":"app"}`, trace: pad + tr64, span: sp},
		{name: "datadog node pino nested", line: `{"level":30,"msg":"hello","dd":{"trace_id":"` + ddTr + `","span_id":"` + ddSp + `","service":"app"}}`, trace: pad + tr64, span: sp},
		{name: "datadog go 128-bit", line: `{"msg":"hello","dd.trace_id":"` + tr + `","dd.span_id":"` + ddSp + `"}`, trace: tr, span: sp},
		{name: "datadog dotnet serilog", line: `{"@mt":"hello","dd_trace_id":"` + ddTr + `","dd_span_id":"` + ddSp + `","dd_service":"app"}`, trace: pad + tr64, span: sp},
		{name: "datadog ruby rails tags", line: `[dd.env=prod dd.service=app dd.version=1 dd.trace_id=` + ddTr + ` dd.span_id=` + ddSp + `] Started GET "/" for 10.0.0.1`, trace: pad + tr64, span: sp},
		{name: "datadog php monolog", line: `[2024-05-01T10:00:00+00:00] app.INFO: hello [dd.trace_id=` + ddTr + ` dd.span_id=` + ddSp + `] {"dd":{"trace_id":"` + ddTr + `","span_id":"` + ddSp + `"}} []`, trace: pad + tr64, span: sp},
		{name: "datadog node signed", line: `{"msg":"hello","dd":{"trace_id":"-3932346296519298485","span_id":"` + ddSp + `"}}`, trace: pad + "c96d7fe0b624f24b", span: sp},
		// New Relic logs in context.
		{name: "newrelic local decorating text", line: `2024-05-01 10:00:00 INFO hello NR-LINKING|MTIzNDU2fEFQTXxBUFBMSUNBVElPTnw3ODkw|web-1|` + tr + `|` + sp + `|checkout|`, trace: tr, span: sp, source: SourceNewRelic},
		{name: "newrelic local decorating after json", line: `{"level":"info","message":"hello"} NR-LINKING|MTIzNDU2fEFQTXxBUFBMSUNBVElPTnw3ODkw|web-1|` + tr + `|` + sp + `|checkout|`, trace: tr, span: sp, source: SourceNewRelic},
		{name: "newrelic local decorating 16-hex trace", line: `hello NR-LINKING|MTIzNDU2|web-1|` + tr64 + `|` + sp + `|checkout%20api|`, trace: pad + tr64, span: sp},
		{name: "newrelic json forwarding", line: `{"message":"hello","trace.id":"` + tr + `","span.id":"` + sp + `","entity.name":"checkout","entity.guid":"MTIzNDU2","hostname":"web-1"}`, trace: tr, span: sp},
		// Dynatrace OneAgent log enrichment.
		{name: "dynatrace text enrichment", line: `hello [!dt dt.trace_id=` + tr + `,dt.span_id=` + sp + `,dt.trace_sampled=true]`, trace: tr, span: sp, sampled: true},
		{name: "dynatrace text enrichment upper-case", line: `[!dt dt.trace_id=4BF92F3577B34DA6A3CE929D0E0E4736,dt.span_id=00F067AA0BA902B7] - hello`, trace: tr, span: sp},
		{name: "dynatrace json enrichment", line: `{"message":"hello","dt.trace_id":"` + tr + `","dt.span_id":"` + sp + `","dt.trace_sampled":"true","dt.entity.process_group_instance":"PROCESS_GROUP_INSTANCE-1"}`, trace: tr, span: sp, sampled: true},
		// Elastic.
		{name: "elastic ecs-logging json", line: `{"@timestamp":"2024-05-01T10:00:00.000Z","log.level":"info","message":"hello","ecs.version":"1.6.0","trace.id":"` + tr + `","transaction.id":"` + sp + `"}`, trace: tr, span: sp, source: SourceECS},
		{name: "elastic apm text", line: `hello trace.id=` + tr + ` transaction.id=` + sp + ` span.id=a2fb4a1d1a96d312`, trace: tr, span: "a2fb4a1d1a96d312", source: SourceECS},
		// Honeycomb beelines.
		{name: "honeycomb beeline fields", line: `{"name":"hello","trace.trace_id":"` + tr + `","trace.span_id":"` + sp + `","trace.parent_id":"a2fb4a1d1a96d312"}`, trace: tr, span: sp},
		// Splunk OTel distributions.
		{name: "splunk otel java", line: `2024-05-01 10:00:00 INFO hello - trace_id=` + tr + ` span_id=` + sp + ` trace_flags=01 service.name=app`, trace: tr, span: sp, sampled: true},
		// Sentry.
		{name: "sentry-trace header", line: `{"msg":"request","headers":{"sentry-trace":"` + tr + `-` + sp + `-1"}}`, trace: tr, span: sp, sampled: true, source: SourceSentry},
		{name: "sentry trace_id in context", line: `{"message":"hello","contexts":{"trace":{"trace_id":"` + tr + `","span_id":"` + sp + `"}}}`, trace: tr, span: sp},
		// Instana.
		{name: "instana headers", line: `{"msg":"request","headers":{"X-INSTANA-T":"` + tr64 + `","X-INSTANA-S":"` + sp + `","X-INSTANA-L":"1"}}`, trace: pad + tr64, span: sp, sampled: true, source: SourceInstana},
		{name: "instana headers text, level with correlation", line: `X-INSTANA-T=` + tr + ` X-INSTANA-S=` + sp + ` X-INSTANA-L=0,correlationType=web;correlationId=1234`, trace: tr, span: sp, sampled: false, source: SourceInstana},
		// Azure Application Insights.
		{name: "appinsights operation ids", line: `{"message":"hello","operation_Id":"` + tr + `","operation_ParentId":"` + sp + `"}`, trace: tr, span: sp, source: SourceAppInsights},
		{name: "appinsights legacy parent id", line: `{"message":"hello","operation_Id":"` + tr + `","operation_ParentId":"|` + tr + `.` + sp + `."}`, trace: tr, span: sp},
		// Jaeger.
		{name: "jaeger uber-trace-id header", line: `uber-trace-id: 51729f13a64c2ef3:258169797d519815:0:1`, trace: pad + "51729f13a64c2ef3", span: "258169797d519815", sampled: true, source: SourceJaeger},
		{name: "jaeger context under an ordinary key", line: `{"msg":"hello","span_context":"51729f13a64c2ef3:258169797d519815:0:1"}`, trace: pad + "51729f13a64c2ef3", span: "258169797d519815", sampled: true, source: SourceJaeger},
		{name: "jaeger context string in text", line: `hello ctx=51729f13a64c2ef3:258169797d519815:0:1`, trace: pad + "51729f13a64c2ef3", span: "258169797d519815", sampled: true},
		{name: "jaeger client logging reporter", line: `2024/05/01 10:00:00 Reporting span 51729f13a64c2ef3:258169797d519815:51729f13a64c2ef3:1`, trace: pad + "51729f13a64c2ef3", span: "258169797d519815", sampled: true, source: SourceJaeger},
		{name: "jaeger zap fields", line: `{"level":"info","msg":"hello","trace":{"trace":"51729f13a64c2ef3","span":"258169797d519815","sampled":true}}`, trace: pad + "51729f13a64c2ef3", span: "258169797d519815", sampled: true, source: SourcePlain},
		{name: "jaeger zap fields without leading zeros", line: `{"level":"info","msg":"hello","trace":{"trace":"1729f13a64c2ef3","span":"58169797d519815","sampled":false}}`, trace: pad + "01729f13a64c2ef3", span: "058169797d519815", sampled: false},
		// Zipkin B3.
		{name: "b3 single header", line: `{"headers":{"b3":"` + tr + `-` + sp + `-1"}}`, trace: tr, span: sp, sampled: true, source: SourceB3},
		{name: "b3 multi headers text", line: `X-B3-TraceId=` + tr64 + ` X-B3-SpanId=` + sp + ` X-B3-Sampled=1`, trace: pad + tr64, span: sp, sampled: true},
		{name: "sleuth brave text", line: `2024-05-01 10:00:00.000 INFO [app,` + tr64 + `,` + sp + `] 1 --- [main] c.e.App : hello`, trace: pad + tr64, span: sp, source: SourceSleuth},
		// OpenTracing.
		{name: "opentracing basictracer headers", line: `{"msg":"request","headers":{"ot-tracer-traceid":"51729f13a64c2ef3","ot-tracer-spanid":"258169797d519815","ot-tracer-sampled":"true"}}`, trace: pad + "51729f13a64c2ef3", span: "258169797d519815", sampled: true, source: SourceOpenTracing},
		{name: "opentracing headers text, short ids", line: `ot-tracer-traceid=1729f13a64c2ef3 ot-tracer-spanid=8169797d519815 ot-tracer-sampled=false`, trace: pad + "01729f13a64c2ef3", span: "008169797d519815", sampled: false},
		// OpenCensus.
		{name: "opencensus log4j2 context", line: `{"message":"hello","contextMap":{"opencensusTraceId":"` + tr + `","opencensusSpanId":"` + sp + `","opencensusTraceSampled":"true"}}`, trace: tr, span: sp, sampled: true},
		// AWS.
		{name: "xray header", line: `X-Amzn-Trace-Id: Root=` + xray + `;Parent=53995c3f42cd8ad8;Sampled=1`, trace: xrTr, span: "53995c3f42cd8ad8", sampled: true, source: SourceXRay},
		{name: "lambda powertools", line: `{"level":"INFO","message":"hello","function_request_id":"c6af9ac6-7b61-11e6-9a41-93e812345678","xray_trace_id":"` + xray + `"}`, trace: xrTr, source: SourceXRay},
		{name: "lambda report line", line: "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t\nXRAY TraceId: " + xray + "\tSegmentId: 53995c3f42cd8ad8\tSampled: true", trace: xrTr, span: "53995c3f42cd8ad8", sampled: true, source: SourceXRay},
		{name: "aws alb access log", line: `https 2024-05-01T10:00:00.000000Z app/my-lb/50dc6c495c0c9188 10.0.0.1:46532 10.0.0.2:80 0.000 0.001 0.000 200 200 34 366 "GET https://example.com:443/ HTTP/1.1" "curl/8.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=` + xray + `" "-" "-" 0 2024-05-01T10:00:00.000000Z "forward" "-" "-" "10.0.0.2:80" "200" "-" "-"`, trace: xrTr, source: SourceXRay},
		{name: "aws api gateway access log", line: `{"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef","ip":"10.0.0.1","httpMethod":"GET","status":"200","xrayTraceId":"` + xray + `"}`, trace: xrTr, source: SourceXRay},
		{name: "aws api gateway text access log", line: `10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET /prod/items HTTP/1.1" 200 512 c6af9ac6-7b61-11e6-9a41-93e8deadbeef ` + xray, trace: xrTr, source: SourceXRay},
		{name: "xray header under another key", line: `{"msg":"hello","amzn_trace":"Root=` + xray + `;Parent=53995c3f42cd8ad8;Sampled=0"}`, trace: xrTr, span: "53995c3f42cd8ad8", sampled: false},
		// Google Cloud.
		{name: "gcp structured logging", line: `{"severity":"INFO","message":"hello","logging.googleapis.com/trace":"projects/my-project/traces/` + tr + `","logging.googleapis.com/spanId":"` + sp + `","logging.googleapis.com/trace_sampled":true}`, trace: tr, span: sp, sampled: true, source: SourceGoogle},
		{name: "gcp cloud run trace header", line: `X-Cloud-Trace-Context: ` + tr + `/67667974448284343;o=1`, trace: tr, span: sp, sampled: true, source: SourceCloudTrace},
		{name: "gcp trace context under another key", line: `{"msg":"request","trace_header":"` + tr + `/67667974448284343;o=1"}`, trace: tr, span: sp, sampled: true, source: SourceCloudTrace},
		{name: "gcp trace context unlabelled access log", line: `10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.0" "` + tr + `/67667974448284343;o=1"`, trace: tr, span: sp, sampled: true, source: SourceCloudTrace},
		{name: "gcp trace resource under another key", line: `{"msg":"hello","trace":"projects/my-project/traces/` + tr + `"}`, trace: tr},
		// Proxies.
		{name: "envoy json access log", line: `{"start_time":"2024-05-01T10:00:00.000Z","method":"GET","path":"/","response_code":200,"x_request_id":"a3a4a9a1-3c3f-4c2e-9a47-1a2b3c4d5e6f","trace_id":"` + tr + `","traceparent":"00-` + tr + `-` + sp + `-01"}`, trace: tr, span: sp, sampled: true},
		{name: "envoy text access log with traceparent", line: `[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1" 200 - 0 512 3 2 "-" "curl/8.0" "a3a4a9a1-3c3f-4c2e-9a47-1a2b3c4d5e6f" "app" "10.0.0.2:8080" "00-` + tr + `-` + sp + `-01"`, trace: tr, span: sp, sampled: true, source: SourceTraceparent},
		{name: "istio access log b3", line: `[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 512 3 2 "-" "curl/8.0" "a3a4a9a1-3c3f-4c2e-9a47-1a2b3c4d5e6f" "app" "10.0.0.2:8080" x-b3-traceid=` + tr + ` x-b3-spanid=` + sp + ` x-b3-sampled=1`, trace: tr, span: sp, sampled: true},
		{name: "nginx otel module", line: `10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 512 trace_id=` + tr + ` span_id=` + sp + ` sampled=1`, trace: tr, span: sp, sampled: true},
		{name: "nginx http_traceparent", line: `10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.0" "00-` + tr + `-` + sp + `-01"`, trace: tr, span: sp, sampled: true},
		{name: "nginx json log_format", line: `{"remote_addr":"10.0.0.1","request":"GET / HTTP/1.1","status":"200","request_id":"9f1c2b3a4d5e6f708192a3b4c5d6e7f8","http_traceparent":"00-` + tr + `-` + sp + `-01"}`, trace: tr, span: sp, sampled: true},
		{name: "nginx header variables", line: `{"remote_addr":"10.0.0.1","status":"200","http_x_cloud_trace_context":"` + tr + `/67667974448284343","http_uber_trace_id":"-"}`, trace: tr, span: sp, source: SourceCloudTrace},
		{name: "haproxy captured header", line: `10.0.0.1:51234 [01/May/2024:10:00:00.000] fe be/srv1 0/0/1/2/3 200 512 - - ---- 1/1/0/0/0 0/0 {00-` + tr + `-` + sp + `-01|curl/8.0} "GET / HTTP/1.1"`, trace: tr, span: sp, sampled: true},
		{name: "traefik json access log headers", line: `{"ClientHost":"10.0.0.1","RequestMethod":"GET","RequestPath":"/","DownstreamStatus":200,"request_Traceparent":"00-` + tr + `-` + sp + `-01","request_X-Request-Id":"a3a4a9a1-3c3f-4c2e-9a47-1a2b3c4d5e6f"}`, trace: tr, span: sp, sampled: true},
		{name: "traefik otel access log", line: `{"ClientHost":"10.0.0.1","RequestMethod":"GET","DownstreamStatus":200,"TraceId":"` + tr + `","SpanId":"` + sp + `"}`, trace: tr, span: sp},
		{name: "kong log serializer", line: `{"request":{"method":"GET","uri":"/"},"response":{"status":200},"trace_id":{"w3c":"` + tr + `","datadog":"` + ddTr + `"}}`, trace: tr},
		{name: "caddy access log", line: `{"level":"info","logger":"http.log.access","msg":"handled request","request":{"method":"GET","uri":"/"},"status":200,"traceID":"` + tr + `","spanID":"` + sp + `"}`, trace: tr, span: sp},
		{name: "apache httpd traceparent", line: `10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 512 traceparent="00-` + tr + `-` + sp + `-01"`, trace: tr, span: sp, sampled: true},
		// Databases (sqlcommenter) and Kubernetes components.
		{name: "sqlcommenter postgres log", line: `2024-05-01 10:00:00.000 UTC [123] LOG:  duration: 0.5 ms  statement: SELECT * FROM t /*controller='index',framework='django',traceparent='00-` + tr + `-` + sp + `-01'*/`, trace: tr, span: sp, sampled: true, source: SourceTraceparent},
		{name: "klog structured", line: `I0501 10:00:00.000000       1 handler.go:42] "request" traceID="` + tr + `" spanID="` + sp + `"`, trace: tr, span: sp},
		{name: "gelf additional fields", line: `{"version":"1.1","host":"web-1","short_message":"hello","_traceId":"` + tr + `","_spanId":"` + sp + `"}`, trace: tr, span: sp},
		{name: "app engine trace_id", line: `{"message":"hello","appengine.googleapis.com/trace_id":"` + tr + `"}`, trace: tr},
		// Frameworks.
		{name: "go-zero json", line: `{"@timestamp":"2024-05-01T10:00:00.000+00:00","caller":"handler/h.go:20","content":"hello","level":"info","span":"` + sp + `","trace":"` + tr + `"}`, trace: tr, span: sp, source: SourcePlain},
		{name: "go-zero plain text", line: "2024-05-01T10:00:00.000Z\tinfo\thello\tduration=20.6ms\tcaller=handler/h.go:20\ttrace=" + tr + "\tspan=" + sp, trace: tr, span: sp, source: SourcePlain},
		{name: "kratos logfmt", line: `INFO ts=2024-05-01T10:00:00Z caller=server/http.go:30 trace.id=` + tr + ` span.id=` + sp + ` msg=hello`, trace: tr, span: sp, source: SourceECS},
		{name: "kratos json", line: `{"level":"INFO","ts":"2024-05-01T10:00:00Z","caller":"server/http.go:30","trace.id":"` + tr + `","span.id":"` + sp + `","msg":"hello"}`, trace: tr, span: sp},
		{name: "spring boot 3.2 correlation id", line: `2024-05-01T10:00:00.000Z  INFO 1 --- [app] [main] [` + tr + `-` + sp + `] c.e.App : hello`, trace: tr, span: sp, source: SourceSleuth},
		{name: "spring micrometer mdc json", line: `{"@timestamp":"2024-05-01T10:00:00Z","message":"hello","traceId":"` + tr + `","spanId":"` + sp + `"}`, trace: tr, span: sp},
		{name: "quarkus mdc text", line: `2024-05-01 10:00:00,000 INFO  [org.acme] (executor-thread-1) traceId=` + tr + `, parentId=a2fb4a1d1a96d312, spanId=` + sp + `, sampled=true hello`, trace: tr, span: sp, sampled: true},
		{name: "quarkus json", line: `{"timestamp":"2024-05-01T10:00:00Z","level":"INFO","message":"hello","mdc":{"traceId":"` + tr + `","parentId":"a2fb4a1d1a96d312","spanId":"` + sp + `","sampled":"true"}}`, trace: tr, span: sp, sampled: true},
		{name: "micronaut mdc text", line: `10:00:00.000 [io-executor-thread-1] INFO  c.e.Controller traceId=` + tr + ` spanId=` + sp + ` - hello`, trace: tr, span: sp},
		{name: "aspnetcore activity id as traceId", line: `{"@t":"2024-05-01T10:00:00Z","@mt":"hello","TraceId":"00-` + tr + `-` + sp + `-01","RequestPath":"/"}`, trace: tr, span: sp, sampled: true},
		{name: "aspnetcore serilog tr sp", line: `{"@t":"2024-05-01T10:00:00Z","@mt":"hello","@tr":"` + tr + `","@sp":"` + sp + `"}`, trace: tr, span: sp},
		{name: "rails otel lograge", line: `{"method":"GET","path":"/","status":200,"request_id":"9e2f6c1e-0a2b-4c3d-8e9f-1a2b3c4d5e6f","trace_id":"` + tr + `","span_id":"` + sp + `"}`, trace: tr, span: sp},
		{name: "django otel logging", line: `{"levelname":"INFO","name":"django.request","message":"hello","otelTraceID":"` + tr + `","otelSpanID":"` + sp + `","otelTraceSampled":false}`, trace: tr, span: sp, sampled: false},
		{name: "laravel monolog otel context", line: `[2024-05-01 10:00:00] production.INFO: hello {"traceId":"` + tr + `","spanId":"` + sp + `"}`, trace: tr, span: sp},
		{name: "unknown vendor suffix keys", line: `{"msg":"hello","myapp.xray_traceid":"` + xray + `"}`, trace: xrTr, source: SourceXRay},
		{name: "root span id is not the span", line: `{"msg":"hello","traceId":"` + tr + `","rootSpanId":"` + sp + `"}`, trace: tr},
		{name: "unknown vendor suffix keys text", line: `hello requestTraceId=` + tr + ` requestSpanId=` + sp, trace: tr, span: sp},
	})
}

// TestFormatSurveyNegatives: survey rows that must not link, each for its reason.
func TestFormatSurveyNegatives(t *testing.T) {
	checkLinks(t, []linkCase{
		{name: "appdynamics request guid", ref: "AD.requestGUID is a business transaction's request GUID, not a trace id", line: `{"message":"hello","AD.requestGUID":"2b6d8a4c-1f3e-4a5b-9c7d-0e1f2a3b4c5d"}`},
		{name: "envoy x-request-id", ref: "a request id (UUID) names a request, not a trace", line: `[2024-05-01T10:00:00.000Z] "GET / HTTP/1.1" 200 - 0 512 3 2 "-" "curl/8.0" "a3a4a9a1-3c3f-4c2e-9a47-1a2b3c4d5e6f" "app" "10.0.0.2:8080"`},
		{name: "nginx request_id", ref: "$request_id: 32 random hex, a request id", line: `{"remote_addr":"10.0.0.1","status":"200","request_id":"9f1c2b3a4d5e6f708192a3b4c5d6e7f8"}`},
		{name: "rails request id", ref: "ActionDispatch::RequestId: a UUID", line: `[9e2f6c1e-0a2b-4c3d-8e9f-1a2b3c4d5e6f] Started GET "/" for 10.0.0.1`},
		{name: "uuid under an unknown key", ref: "UUIDs are not trace ids", line: `{"event_id":"2b6d8a4c1f3e4a5b9c7d0e1f2a3b4c5d","uid":"2b6d8a4c-1f3e-4a5b-9c7d-0e1f2a3b4c5d"}`},
		{name: "sha256 digest", ref: "digests are not trace ids", line: `pulled image digest=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`},
		{name: "md5 and path", ref: "a hash in a path is not an X-Cloud-Trace-Context", line: `GET /objects/d41d8cd98f00b204e9800998ecf8427e/12 200`},
		{name: "git sha", ref: "commit ids are not trace ids", line: `{"msg":"deployed","commit":"9fceb02d0ae598e95dc970b74767f19372d61af8"}`},
		{name: "counter under trace key", ref: "a number under a plain key is a counter", line: `{"trace":42,"span":7}`},
		{name: "stack trace under trace key", ref: "a plain trace key holds a stack trace as often as an id", line: `{"msg":"boom","trace":"java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)"}`},
		{name: "duration under span key", ref: "a plain span key holds a duration", line: `go-zero-like trace=short span=20ms`},
		{name: "xray-like token with an implausible epoch", ref: "an X-Ray id's first field is its start time (2014 on)", line: `build 1-00000001-bd862e3fe1be46a994272793 done`},
		{name: "a double printed in full", ref: "an integer a double holds exactly went through a float", line: `{"trace_id":99999999999999997748809823456034029568}`},
		{name: "times with colons", ref: "a Jaeger shape needs ids of random length", line: `{"msg":"window","range":"10:07:08:99"}`},
		{name: "ipv6 address and times in text", ref: "colons of addresses and clocks are not a Jaeger context", line: `connected to [2001:0db8:85a3:0000:0000:8a2e:0370:7334]:443 at 10:07:08:99, mac 00:1a:2b:3c:4d:5e, key 9f86d081884c7d65:9a2feaa0c55ad015a3bf:4f:1b`},
		{name: "ipv6 address", ref: "colons of an address are not a Jaeger context", line: `{"peer":"2001:0db8:85a3:0000:0000:8a2e:0370:7334"}`},
		{name: "mac-like hex with colons", ref: "short hex groups are not a Jaeger context", line: `{"key_fingerprint":"9f86d081884c7d65:9a2feaa0c55ad015a3bf:4f:1b"}`},
		{name: "parent span id only", ref: "a parent's id names another span", line: `{"msg":"hello","parentSpanId":"` + w3cSpan + `","parent_trace_id":"` + w3cTrace + `"}`},
		{name: "linked trace id", ref: "a span link names another trace", line: `{"msg":"hello","linkedTraceId":"` + w3cTrace + `"}`},
		{name: "kubernetes event uid", ref: "event ids are UUIDs", line: `{"kind":"Event","metadata":{"uid":"2b6d8a4c-1f3e-4a5b-9c7d-0e1f2a3b4c5d"},"reason":"Pulled"}`},
		{name: "cloud trace token without options", ref: "an unlabelled TRACE/SPAN needs its ;o= to count", line: `proxied ` + w3cTrace + `/67667974448284343 ok`},
		{name: "nr-linking without a transaction", ref: "New Relic leaves trace.id empty outside a transaction", line: `hello NR-LINKING|MTIzNDU2|web-1|||checkout|`},
		{name: "skywalking trace id", ref: "SkyWalking's TID is not a W3C, B3 or X-Ray id (segment.thread.sequence), no backend here links it", line: `2024-05-01 10:00:00.000 [TID:6f8a2c1e0d9b4f7a8c3e5d2b1a0f9e8d.87.17145576000000001] [main] INFO c.e.App - hello`},
		{name: "dynatrace without trace", ref: "dt.entity fields alone carry no trace", line: `[!dt dt.entity.process_group_instance=PROCESS_GROUP_INSTANCE-1] hello`},
	})
}

// TestTextSerializations: trace context printed by a language's own value printers inside a
// text line, whatever the source: escaped JSON in a quoted logfmt value, Ruby's hash inspect
// (both spacings), Go's http.Header, Python's dict repr, Java's toString.
func TestTextSerializations(t *testing.T) {
	const tr, sp = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	checkLinks(t, []linkCase{
		{name: "escaped JSON in logfmt", line: `level=info msg="{\"trace_id\":\"` + tr + `\",\"span_id\":\"` + sp + `\"}"`, trace: tr, span: sp},
		{name: "ruby hash inspect", line: `Parameters: {"trace_id"=>"` + tr + `", "span_id"=>"` + sp + `"}`, trace: tr, span: sp},
		{name: "ruby 3.4 hash inspect", line: `Parameters: {"trace_id" => "` + tr + `", "span_id" => "` + sp + `"}`, trace: tr, span: sp},
		{name: "go http.Header", line: `headers: map[Accept:[*/*] Traceparent:[00-` + tr + `-` + sp + `-01]]`, trace: tr, span: sp, sampled: true, source: SourceTraceparent},
		{name: "python dict repr", line: `ctx={'trace_id': '` + tr + `', 'span_id': '` + sp + `'}`, trace: tr, span: sp},
		{name: "java SpanContext toString", line: `ImmutableSpanContext{traceId=` + tr + `, spanId=` + sp + `, traceFlags=01, traceState=ArrayBasedTraceState{entries=[]}, remote=false, valid=true}`, trace: tr, span: sp, sampled: true},
		{name: "prose arrow is not a pair", line: `moved trace => archive`},
	})
}

// TestVocabField: keys no table lists, named by how they end; keys naming another span or
// trace are not ours.
func TestVocabField(t *testing.T) {
	for key, want := range map[string]field{
		"AWS-XRAY-TRACE-ID": fXRay, "opencensusTraceId": fOTelTrace, "dt.trace_id": fOTelTrace,
		"trace.trace_id": fOTelTrace, "x-request-trace-id": fOTelTrace, "otel_trace_id": fOTelTrace,
		"_spanId": fOTelSpan, "dt.span_id": fOTelSpan, "requestSpanId": fOTelSpan,
		"request_Traceparent": fTraceparent, "http_traceparent": fTraceparent,
		"dt.trace_sampled": fOTelSampled, "otel_trace_flags": fOTelFlags,
		"ddTraceId": fDDTrace, "dd-trace-id": fDDTrace, "datadog.span_id": fDDSpan,
		"parentSpanId": fNone, "parent_trace_id": fNone, "linkedTraceId": fNone, "prevTraceId": fNone,
		"origin_trace_id": fNone, "childSpanId": fNone, "rootSpanId": fNone, "causation_trace_id": fNone,
		"x_cloud_trace_context": fCloudTrace, "http_x_cloud_trace_context": fCloudTrace, "http_uber_trace_id": fJaeger,
		"request_Sentry-Trace": fSentryTrace, "http_x_b3_sampled": fB3Sampled, "req_x_b3_traceid": fB3Trace, "http_b3": fB3,
		"headers.X-Amzn-Trace-Id": fXRay, "http_x_request_id": fNone,
		"request_id": fNone, "x-request-id": fNone, "event_id": fNone, "uid": fNone, "traces": fNone,
	} {
		if got := vocabField([]byte(key)); got != want {
			t.Errorf("vocabField(%q) = %d, want %d", key, got, want)
		}
	}
}
