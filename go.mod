module github.com/tracelink/tracelink

go 1.26.8

require (
	cloud.google.com/go/compute/metadata v0.10.0 // indirect
	github.com/fluent/fluent-bit-go v0.0.0-20230731091245-a7a013e2473c // indirect
	github.com/fluent/fluent-logger-golang v1.10.2 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/tinylib/msgp v1.6.5 // indirect
	github.com/ugorji/go/codec v1.3.2 // indirect
	github.com/vjeantet/grok v1.0.1 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/mod v0.18.0 // indirect
	golang.org/x/sys v0.46.0 // indirect
	golang.org/x/tools v0.22.0 // indirect
)
