package gate_test

import (
	"testing"

	"transcoder/app/internal/gate"
)

func TestCloseRefusesNewCallsAndWaitsForThoseUnderWay(t *testing.T) {
	var g gate.Gate
	if !g.Enter() {
		t.Fatal("an open gate refused a call")
	}
	closed := make(chan struct{})
	go func() { g.Close(); close(closed) }()
	for g.Enter() { // until Close has begun
		g.Leave()
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a call was under way")
	default:
	}
	g.Leave()
	<-closed
	if g.Enter() {
		t.Fatal("a closed gate admitted a call")
	}
}
