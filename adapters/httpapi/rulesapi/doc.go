// Package rulesapi is entitle's own HTTP API for rule authors, under
// /rulesets and /decisions: the rule files in force and their hash, checking
// an edited copy (compile errors at line and column, the files' own tests),
// explaining a decision with the trace of every rule, reading the decision
// log, and replaying it under an edited copy. The web tool's playground and
// programs use it alike.
//
// Only the partners an operator names as rule authors may use it (Authors):
// any bearer token entitle issues (a store API client's, an Account Manager
// partner's or company's) of such a partner is accepted. Answers are JSON;
// errors are {"error": {"code", "field", "message"}}.
package rulesapi
