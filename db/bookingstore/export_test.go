package bookingstore

// OutcomesQuery is the statistics query as the store sends it, for EXPLAIN
// in the benchmark.
func (s *Store) OutcomesQuery() string { return s.outcomesQuery() }
