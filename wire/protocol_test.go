package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestMessagesFitInPipeBuf: a message is one write the kernel keeps whole,
// however long the worker's error text: a Detail too long is shortened
// and marked, and the line still decodes.
func TestMessagesFitInPipeBuf(t *testing.T) {
	for _, n := range []int{0, 100, PipeBuf - 200, PipeBuf, 10 * PipeBuf} {
		var buf bytes.Buffer
		w := NewMessageWriter(&buf, 2)
		detail := strings.Repeat("é", n/2) // multi-byte: a cut must not split a rune
		if err := w.Send(Message{Kind: MsgError, Step: 3, Name: "fill", Detail: detail}); err != nil {
			t.Fatalf("detail of %d bytes: %v", n, err)
		}
		if buf.Len() > PipeBuf {
			t.Errorf("detail of %d bytes: a %d-byte write, more than PIPE_BUF", n, buf.Len())
		}
		var m Message
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("detail of %d bytes: %v", n, err)
		}
		if m.Proc != 2 || m.Name != "fill" {
			t.Errorf("detail of %d bytes: decoded %+v", n, m)
		}
		if short := len(m.Detail) < len(detail); short != strings.HasSuffix(m.Detail, truncated) {
			t.Errorf("detail of %d bytes: shortened=%v but marked=%v", n, short, !short)
		}
	}
}
