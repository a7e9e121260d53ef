package search

import (
	"reflect"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
)

func TestAddSegment(t *testing.T) {
	a := store.Segment{Worker: "a-1", Host: "a", From: 0}
	b := store.Segment{Worker: "b-1", Host: "b", From: 100}
	seg := func(s store.Segment, to int) store.Segment { s.To = to; return s }
	for _, tc := range []struct {
		name string
		adds []store.Segment // To is the update reached
		want []store.Segment
	}{
		{"one worker", []store.Segment{seg(a, 10), seg(a, 20)}, []store.Segment{seg(a, 20)}},
		{"handed over", []store.Segment{seg(a, 150), seg(b, 200)}, []store.Segment{seg(a, 150), seg(b, 200)}},
		// Two deliveries of one segment reporting in turn: two stretches,
		// however many reports.
		{"two deliveries", []store.Segment{seg(a, 10), seg(b, 110), seg(a, 20), seg(b, 120), seg(a, 30), seg(b, 130)},
			[]store.Segment{seg(a, 30), seg(b, 130)}},
		{"a late report", []store.Segment{seg(a, 30), seg(b, 110), seg(a, 20)}, []store.Segment{seg(a, 30), seg(b, 110)}},
		{"same worker, new start", []store.Segment{seg(a, 50), seg(store.Segment{Worker: "a-1", Host: "a", From: 40}, 60)},
			[]store.Segment{seg(a, 50), {Worker: "a-1", Host: "a", From: 40, To: 60}}},
	} {
		var segs []store.Segment
		for _, s := range tc.adds {
			before := append([]store.Segment(nil), segs...)
			next := addSegment(segs, store.Segment{Worker: s.Worker, Host: s.Host, From: s.From}, s.To)
			if !reflect.DeepEqual(segs, before) {
				t.Errorf("%s: addSegment changed its argument", tc.name)
			}
			segs = next
		}
		if !reflect.DeepEqual(segs, tc.want) {
			t.Errorf("%s: segments %+v, want %+v", tc.name, segs, tc.want)
		}
	}
}
