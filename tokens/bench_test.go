package tokens

import (
	"testing"
)

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	p := caseworker()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.signer.Issue(p, testAudience, 0, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	token := f.issue(b, caseworker())
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.verifier.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallel shows whether verifiers on many requests contend.
func BenchmarkVerifyParallel(b *testing.B) {
	f := newFixture(b)
	token := f.issue(b, caseworker())
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.verifier.Verify(ctx, token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
