package intakestore

// CaseTimingsQuery is the statistics query, for EXPLAIN in the benchmark.
const CaseTimingsQuery = caseTimingsQuery

// SetSearchFew sets how many cases SQLite's trigram table may find for the
// store to read them alone, and returns the undo.
func SetSearchFew(n int) (undo func()) {
	old := searchFew
	searchFew = n
	return func() { searchFew = old }
}
