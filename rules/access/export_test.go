package access

// Checks returns how many secrets s has checked, decoys included: tests
// assert that an unknown client id or username is checked against the decoy
// (the work is the same), not how long it took.
func (s *Service) Checks() int64 { return s.checks.Load() }
