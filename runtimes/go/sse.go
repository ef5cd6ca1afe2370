package aiwfrt

import (
	"bufio"
	"errors"
	"io"
	"sort"
	"strings"
)

// sseEvent is one dispatched server-sent event: its event name ("message" when absent) and
// its data lines joined by newlines.
type sseEvent struct {
	event string
	data  string
}

// sseReader reads server-sent events, the framing OpenAI and Anthropic stream in.
type sseReader struct {
	r *bufio.Reader
	// readErr turns a failed read into the attempt's error (a reset, a timeout).
	readErr func(error) error
}

func newSSEReader(r io.Reader, readErr func(error) error) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 64<<10), readErr: readErr}
}

// next is the next event; nil at the end of the stream.
func (s *sseReader) next() (*sseEvent, error) {
	event := ""
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, s.readErr(err)
		}
		end := errors.Is(err, io.EOF)
		if end && line == "" {
			if len(data) > 0 {
				return &sseEvent{orMessage(event), strings.Join(data, "\n")}, nil
			}
			return nil, nil
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if len(data) > 0 || event != "" {
				return &sseEvent{orMessage(event), strings.Join(data, "\n")}, nil
			}
		case strings.HasPrefix(line, ":"):
		default:
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "event":
				event = value
			case "data":
				data = append(data, value)
			}
		}
		if end {
			if len(data) > 0 {
				return &sseEvent{orMessage(event), strings.Join(data, "\n")}, nil
			}
			return nil, nil
		}
	}
}

func orMessage(event string) string {
	if event == "" {
		return "message"
	}
	return event
}

func sortedInts(xs []int) []int {
	out := append([]int(nil), xs...)
	sort.Ints(out)
	return out
}
