package images

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The PostgreSQL image is made of Debian's own files on this machine: the
// packages postgresql-15 and postgresql-client-15 (which the package
// postgresql installs), libc-bin's locale and busybox-static.
const (
	postgresBin   = "/usr/lib/postgresql/15/bin"
	postgresLib   = "/usr/lib/postgresql/15/lib"
	postgresShare = "/usr/share/postgresql/15"
)

// postgresPrograms are what the manifest runs: the server, initdb and
// pg_ctl (which starts and stops the server while the init container
// prepares the database), psql for that preparation, and pg_isready for
// the probes.
var postgresPrograms = []string{"postgres", "initdb", "pg_ctl", "psql", "pg_isready"}

// postgresModules are the server's loadable modules that the saga needs:
// PL/pgSQL, which the preparation's DO block is written in and initdb
// installs, and the Snowball dictionaries, which initdb creates. The other
// modules of the package (contrib, encoding conversions, JIT) are left out.
var postgresModules = []string{"plpgsql.so", "dict_snowball.so"}

// postgresFiles are the other files the server and initdb read; a trailing
// slash takes a whole directory. From the share directory: the bootstrap
// catalog and the SQL scripts initdb runs, the configuration samples it
// copies, the Snowball dictionaries' stop words, the time zone
// abbreviations the server loads at start and PL/pgSQL's extension script.
// From the system: UTC, the one time zone (Debian's server reads the
// system's zoneinfo, and initdb picks the zone it finds there), and
// `locale` with C.UTF-8, the locale libc-bin compiles, since initdb imports
// the system's locales as collations through `locale -a` (and warns that
// there are none without it).
var postgresFiles = []string{
	postgresShare + "/postgres.bki", postgresShare + "/system_constraints.sql",
	postgresShare + "/system_functions.sql", postgresShare + "/system_views.sql",
	postgresShare + "/information_schema.sql", postgresShare + "/sql_features.txt",
	postgresShare + "/snowball_create.sql", postgresShare + "/postgresql.conf.sample",
	postgresShare + "/pg_hba.conf.sample", postgresShare + "/pg_ident.conf.sample",
	postgresShare + "/tsearch_data/", postgresShare + "/timezonesets/",
	postgresShare + "/extension/plpgsql.control", postgresShare + "/extension/plpgsql--1.0.sql",
	"/usr/share/zoneinfo/UTC",
	"/usr/bin/locale", "/usr/lib/locale/C.utf8/",
}

// postgresAccount is the user of the PostgreSQL image, whose uid and gid
// the manifest runs it as (999:999, as in the Docker Official Image).
var postgresAccount = account{name: "postgres", uid: 999, gid: 999, home: "/var/lib/postgresql"}

// PostgresDataDir is where the manifest mounts the database's volume, and
// PostgresSocketDir where the server puts its Unix socket (Debian's
// compiled-in default): an emptyDir in the manifest, as the root file
// system is read-only.
const (
	PostgresDataDir   = "/var/lib/postgresql/data"
	PostgresSocketDir = "/var/run/postgresql"
)

// Postgres is the PostgreSQL 15 image: Debian's server, initdb, pg_ctl,
// psql and pg_isready at their own paths (the server finds its share
// directory and modules relative to its binary, and they are on PATH), the
// two modules and the files above, the dynamic loader and every library
// that any of them loads, and busybox as /bin/sh (pg_ctl starts the server
// through it, initdb runs `locale -a` through it, and the init container's
// script is a shell script). The data directory's mount point and the
// socket directory are postgres's (999:999). There is no entrypoint.
func Postgres() (v1.Image, error) {
	var programs, modules []string
	for _, p := range postgresPrograms {
		programs = append(programs, path.Join(postgresBin, p))
	}
	for _, m := range postgresModules {
		modules = append(modules, path.Join(postgresLib, m))
	}
	for _, f := range slices.Concat(programs, modules, []string{busybox}) {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("the PostgreSQL image needs %s from Debian's postgresql-15 and busybox-static packages (apt-get install -y postgresql busybox-static): %w", f, err)
		}
	}
	files, err := hostFiles(postgresFiles)
	if err != nil {
		return nil, fmt.Errorf("the PostgreSQL image: %w", err)
	}
	libs, err := loadedFiles(slices.Concat(programs, modules, []string{"/usr/bin/locale"}))
	if err != nil {
		return nil, err
	}
	t := newTree()
	if err := base(t, postgresAccount); err != nil {
		return nil, err
	}
	for _, d := range []string{PostgresDataDir, PostgresSocketDir} {
		if err := t.dir(d, 0o700, postgresAccount.uid, postgresAccount.gid); err != nil {
			return nil, err
		}
	}
	for _, p := range slices.Concat(programs, modules, files, libs, []string{busybox}) {
		if err := t.copyHost(p); err != nil {
			return nil, err
		}
	}
	if err := t.symlink("/bin/sh", "busybox"); err != nil {
		return nil, err
	}
	return assemble(t, v1.Config{
		Cmd:          []string{"postgres"},
		Env:          []string{"PATH=" + postgresBin + ":/usr/local/bin:/usr/bin:/bin"},
		User:         fmt.Sprintf("%d:%d", postgresAccount.uid, postgresAccount.gid),
		ExposedPorts: map[string]struct{}{"5432/tcp": {}},
		WorkingDir:   postgresAccount.home,
	}, "postgres")
}

// hostFiles expands the list: a path ending in a slash stands for every
// regular file under that directory of the host.
func hostFiles(list []string) ([]string, error) {
	var files []string
	for _, f := range list {
		if !strings.HasSuffix(f, "/") {
			files = append(files, f)
			continue
		}
		err := filepath.WalkDir(f, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
