package events

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkDecode measures the hot path on events as they arrive: compact
// JSON, as EventBridge and Elastic Transcoder publish it, not the indented
// fixtures.
func BenchmarkDecode(b *testing.B) {
	benchmarks := []struct{ name, dir, file string }{
		{"MediaConvert_STATUS_UPDATE", mediaConvertData, "status_update.json"},
		{"MediaConvert_COMPLETE", mediaConvertData, "complete.json"},
		{"ElasticTranscoder_COMPLETED", elasticTranscoderData, "completed.json"},
	}
	for _, bm := range benchmarks {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(fixture(b, bm.dir, bm.file))); err != nil {
			b.Fatal(err)
		}
		message := compact.String()
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(message)))
			for b.Loop() {
				if _, err := both.Decode(message, snsTime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
