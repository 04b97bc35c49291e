package httpapi

import "slices"

// Routes lists the patterns the APIs registered with Handle, in order:
// "METHOD /path" for a route, "/path" for a fallback that refuses other
// methods or paths. The kit's own /healthz and /oauth/token are not among
// them. It is for tests and documentation checks that compare what is
// served with an API's OpenAPI document; call it after the APIs are
// registered, not while Handle may run.
func (s *Server) Routes() []string { return slices.Clone(s.routes) }
