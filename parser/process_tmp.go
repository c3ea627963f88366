package parser

type grokRule struct{}

func buildGrok(map[string]string) ([]grokRule, error) { return nil, nil }

// Process appends the record, rewritten when it carries a trace context, to dst.
// TEMPORARY pass-through while the core lands.
func (p *Processor) Process(dst, record []byte) ([]byte, Result) {
	return append(dst, record...), Result{}
}
