package k8scheck

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"strings"
)

// CheckStaticExecutable refuses a binary that needs a dynamic loader or
// shared libraries (it would not start on distroless/static), or that still
// carries a symbol table or DWARF (-ldflags="-s -w" strips both).
func CheckStaticExecutable(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var errs []error
	if f.Type != elf.ET_EXEC {
		errs = append(errs, fmt.Errorf("ELF type %s, want a fixed-address executable (ET_EXEC)", f.Type))
	}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			errs = append(errs, errors.New("has a PT_INTERP program header: needs a dynamic loader"))
		case elf.PT_DYNAMIC:
			errs = append(errs, errors.New("has a PT_DYNAMIC segment: dynamically linked"))
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		errs = append(errs, fmt.Errorf("needs shared libraries %v", libs))
	}
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			errs = append(errs, fmt.Errorf("has section %s: not stripped", s.Name))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %w", path, errors.Join(errs...))
	}
	return nil
}

// BuildSettings returns the settings the Go toolchain recorded in a binary
// (CGO_ENABLED, -trimpath, -ldflags, ...).
func BuildSettings(path string) (map[string]string, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, err
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	return settings, nil
}
