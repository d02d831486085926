package deadletters

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/web"
)

// Routes serves the letters to the holder of the admin token: they carry
// what customers ordered.
//
//	GET  /deadletters?after=&limit=   a page of letters, oldest first
//	GET  /deadletters/{id}            one letter
//	POST /deadletters/{id}/redrive    its event sent again, once (202)
func (ls *Letters) Routes(r chi.Router, adminToken string, log *slog.Logger) {
	admin := r.With(web.RequireToken(web.BearerToken, adminToken))
	admin.Get("/deadletters", web.Handle(log, ls.list))
	admin.Get("/deadletters/{id}", web.Handle(log, ls.get))
	admin.Post("/deadletters/{id}/redrive", web.Handle(log, ls.redrive))
}

// page is a page of the listing; Next is what to ask the next page after,
// absent at the end.
type page struct {
	Letters []Letter `json:"letters"`
	Next    string   `json:"next,omitempty"`
}

func (ls *Letters) list(w http.ResponseWriter, r *http.Request) error {
	var fields contracts.FieldErrors
	after, limit := int64(0), MaxPage
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			fields.Add("after", "must be a letter id, a whole number from 0")
		}
		after = n
	}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPage {
			fields.Add("limit", "must be a whole number from 1 to "+strconv.Itoa(MaxPage))
		}
		limit = n
	}
	if err := fields.Err(); err != nil {
		return err
	}
	letters, next, err := ls.List(r.Context(), after, limit)
	if err != nil {
		return err
	}
	p := page{Letters: letters}
	if next > 0 {
		p.Next = strconv.FormatInt(next, 10)
	}
	web.JSON(w, http.StatusOK, p)
	return nil
}

func (ls *Letters) get(w http.ResponseWriter, r *http.Request) error {
	id, err := letterID(r)
	if err != nil {
		return err
	}
	l, err := ls.Get(r.Context(), id)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, l)
	return nil
}

func (ls *Letters) redrive(w http.ResponseWriter, r *http.Request) error {
	id, err := letterID(r)
	if err != nil {
		return err
	}
	l, err := ls.Redrive(r.Context(), id)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusAccepted, l)
	return nil
}

// letterID reads the id of the path; one that no letter can have is not
// found.
func letterID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id < 1 {
		return 0, ErrNotFound
	}
	return id, nil
}
