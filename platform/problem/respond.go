package problem

import (
	"encoding/json"
	"net/http"
)

// JSON answers with status and v as JSON: the success-side counterpart of
// Write, so every service answers the same way.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
