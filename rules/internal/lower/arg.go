package lower

// loc is where a field is: at off in the environment, or at off in the
// struct the pointer at hop in the environment points to (two is set).
// A vocabulary call whose operands are all fields (line.serialNumber,
// part.productLine, serial, today: most are) reads them in line (Bind1,
// Bind3), with no call per operand.
type loc struct {
	hop, off uintptr
	two      bool
	name     string // the field's name, for a nil pointer on the way
}

// locOf returns where v is, or false when v is not a field path of one or
// two offsets.
func locOf(v Value) (loc, bool) {
	switch len(v.path) {
	case 1:
		return loc{off: v.path[0], name: v.name}, true
	case 2:
		return loc{hop: v.path[0], off: v.path[1], two: true, name: v.name}, true
	}
	return loc{}, false
}

// nilMember panics with NilMember, as reader does when a pointer on a
// field path is nil.
//
//go:noinline
func nilMember(name string) { panic(NilMember{name}) }
