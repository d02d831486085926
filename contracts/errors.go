package contracts

import "errors"

// Kind is what went wrong with a request or an event. Every service
// answers a kind the same way: each has one HTTP status, and an event
// refused as Invalid is dead-lettered rather than delivered again.
type Kind int

// The kinds of error. Any error that is none of them is a fault of the
// service: HTTP 500, and the event is delivered again.
const (
	// KindInvalid: the input breaks a rule (422); no retry can fix it.
	KindInvalid Kind = iota + 1
	// KindNotFound: what the input names does not exist (404).
	KindNotFound
	// KindConflict: the input clashes with the state of what it names
	// (409); it may succeed later.
	KindConflict
	// KindUnavailable: a store or the broker did not answer (503); the
	// same input may succeed when retried.
	KindUnavailable
	// KindBusy: the service has as much of this work in hand as it takes
	// (429); the same input may succeed a little later.
	KindBusy
)

// Error is an error of a known kind. Type is a stable slug that clients
// switch on (the problem type of the HTTP answer); Detail says what
// happened, for people; Fields names the bad fields of an invalid input.
// Err, the cause, is for logs only and never shown.
type Error struct {
	Kind   Kind
	Type   string
	Detail string
	Fields FieldErrors
	Err    error
}

func (e *Error) Error() string {
	s := e.Type
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if len(e.Fields) > 0 {
		s += ": " + e.Fields.String()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches an Error of the same kind and type, so that a service can
// declare its errors once and test for them with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Type == e.Type
}

// Invalid is the error of an input whose fields break the rules.
func Invalid(fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Type: "validation-failed", Detail: "invalid fields", Fields: fields}
}

// NotFound is the error of an input naming what does not exist.
func NotFound(slug, detail string) *Error {
	return &Error{Kind: KindNotFound, Type: slug, Detail: detail}
}

// Conflict is the error of an input that clashes with what it names.
func Conflict(slug, detail string) *Error {
	return &Error{Kind: KindConflict, Type: slug, Detail: detail}
}

// Unavailable wraps the failure of a store or the broker.
func Unavailable(detail string, cause error) *Error {
	return &Error{Kind: KindUnavailable, Type: "unavailable", Detail: detail, Err: cause}
}

// KindOf returns the kind of err, 0 for an error of no known kind.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
