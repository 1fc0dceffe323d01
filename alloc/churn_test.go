package alloc

import "testing"

func TestEngineChurn(t *testing.T) {
	e, c := newEngine(t, 7)
	failed, err := e.Churn(Dist{Kind: Uniform, Min: 16, Max: 512}, 100, 10000)
	if err != nil || failed != 0 {
		t.Fatalf("Churn = %d, %v; want 0 failures", failed, err)
	}
	if got := c.Load(); got.LiveObjects != 0 || got.AllocOps != 0 {
		t.Errorf("Churn changed the engine's counters: %+v", got)
	}
	for _, tc := range []struct {
		name      string
		d         Dist
		live, ops int64
	}{
		{"zero live", Dist{Kind: Fixed, Value: 16}, 0, 1},
		{"negative ops", Dist{Kind: Fixed, Value: 16}, 1, -1},
		{"histogram", Dist{Kind: Histogram, Sizes: []int64{16}, Weights: []float64{1}}, 1, 1},
		{"bad dist", Dist{Kind: Uniform, Min: 10, Max: 1}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.Churn(tc.d, tc.live, tc.ops); err == nil {
				t.Errorf("Churn(%+v, %d, %d) = nil error", tc.d, tc.live, tc.ops)
			}
		})
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Churn(Dist{Kind: Fixed, Value: 16}, 1, 1); err != ErrClosed {
		t.Errorf("Churn after Close = %v, want ErrClosed", err)
	}
}
