package intakestore

// CaseTimingsQuery is the statistics query, for EXPLAIN in the benchmark.
const CaseTimingsQuery = caseTimingsQuery
