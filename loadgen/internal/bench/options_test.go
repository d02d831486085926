package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOptionsThatCannotWorkAreRefusedByName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	daprd, notExecutable := filepath.Join(dir, "daprd"), filepath.Join(dir, "daprd.txt")
	if err := os.WriteFile(daprd, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notExecutable, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(*Options)
		refuse string // in the error; "" for none
	}{
		{"the defaults work", func(*Options) {}, ""},
		{"another daprd, with no scheduler and bulk deliveries, works", func(o *Options) {
			o.Daprd, o.NoScheduler, o.BulkSubscribe = daprd, true, 64
		}, ""},
		{"a daprd that does not exist is refused", func(o *Options) { o.Daprd = filepath.Join(dir, "missing") }, "no executable file"},
		{"a daprd that is a folder is refused", func(o *Options) { o.Daprd = dir }, "no executable file"},
		{"a daprd that cannot run is refused", func(o *Options) { o.Daprd = notExecutable }, "no executable file"},
		{"a negative bulk size is refused", func(o *Options) { o.BulkSubscribe = -1 }, "bulk delivery"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := Defaults()
			tc.change(&o)
			err := o.Validate()
			switch {
			case tc.refuse == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse)):
				t.Fatalf("got %v, want an error about %q", err, tc.refuse)
			}
		})
	}
}

func TestTheTableSaysWhichSidecarsRanAndHowTheyDelivered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		o       Options
		version string
		want    string
	}{
		{"the default daprd", Options{}, "1.18.1", "daprd 1.18.1, with a scheduler, events delivered one by one"},
		{"another daprd with no scheduler", Options{Daprd: "/opt/daprd", NoScheduler: true}, "1.16.5",
			"daprd 1.16.5 (/opt/daprd), no scheduler, events delivered one by one"},
		{"bulk deliveries", Options{BulkSubscribe: 64}, "", "daprd of unknown version, with a scheduler, events delivered in bulk (up to 64 a request)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := describeSidecars(tc.o, tc.version); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
