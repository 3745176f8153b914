package httpkit

// IdempotentWait is Idempotent with another bound on waiting, so that a test
// sees the 409 for a request still running without waiting 10 s.
var IdempotentWait = idempotent
