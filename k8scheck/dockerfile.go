package k8scheck

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Dockerfile is the part of a Dockerfile that the checks read: its stages
// and their instructions, with line continuations joined and build
// arguments substituted.
type Dockerfile struct {
	Stages []Stage
}

// Stage is one FROM and what follows it.
type Stage struct {
	From, Name   string
	Instructions []Instruction
}

// Instruction is one line such as RUN or COPY, keyword upper-cased.
type Instruction struct {
	Keyword, Args string
}

// ParseDockerfile reads path as docker builds it with buildArgs (NAME to
// value, as --build-arg or skaffold's buildArgs give them): ARGs are
// substituted where docker substitutes them (see substitute), and a build
// argument that no ARG declares is refused, as is the use of an ARG that
// has no value.
func ParseDockerfile(path string, buildArgs map[string]string) (*Dockerfile, error) {
	lines, err := readInstructions(path)
	if err != nil {
		return nil, err
	}
	d := &Dockerfile{}
	// ARGs before the first FROM are global: FROM lines see them, and a
	// stage sees one only by declaring it again.
	global := argScope{}
	scope := global
	declared := map[string]bool{}
	for _, in := range lines {
		written := in.Args
		switch {
		case in.Keyword == "FROM":
			if in.Args, err = global.substitute(written, false); err != nil {
				return nil, fmt.Errorf("%s: FROM %s: %w", path, written, err)
			}
			fields := strings.Fields(in.Args)
			stage := Stage{From: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				stage.Name = fields[2]
			}
			d.Stages = append(d.Stages, stage)
			scope = argScope{}
			continue
		case in.Keyword == "ARG":
			err = scope.declare(written, buildArgs, global, declared)
		case in.Keyword == "RUN" || slices.Contains(substitutedKeywords, in.Keyword):
			in.Args, err = scope.substitute(written, in.Keyword == "RUN")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", path, in.Keyword, written, err)
		}
		if len(d.Stages) == 0 {
			if in.Keyword == "ARG" {
				continue
			}
			return nil, fmt.Errorf("%s: %s before the first FROM", path, in.Keyword)
		}
		last := &d.Stages[len(d.Stages)-1]
		last.Instructions = append(last.Instructions, in)
	}
	if len(d.Stages) == 0 {
		return nil, fmt.Errorf("%s: no FROM", path)
	}
	for _, name := range slices.Sorted(maps.Keys(buildArgs)) {
		if !declared[name] {
			return nil, fmt.Errorf("%s: build argument %s: no ARG declares it", path, name)
		}
	}
	return d, nil
}

// readInstructions reads the instructions of path as written, with
// comments and blank lines left out and line continuations joined.
func readInstructions(path string) ([]Instruction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []Instruction
	var pending string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if pending == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		line, pending = pending+line, ""
		keyword, args, _ := strings.Cut(line, " ")
		lines = append(lines, Instruction{Keyword: strings.ToUpper(keyword), Args: strings.TrimSpace(args)})
	}
	return lines, scanner.Err()
}

// argScope holds the ARGs that an instruction sees: each declared name
// with its value, or with set false when neither a build argument nor a
// default gave it one (docker would substitute "", which is refused here).
type argScope map[string]argValue

type argValue struct {
	value string
	set   bool
}

// declare adds the names of one ARG instruction ("NAME", "NAME=default",
// several separated by spaces) to scope. A build argument wins over the
// default; a stage's ARG without a default takes the global ARG's value.
func (scope argScope) declare(args string, buildArgs map[string]string, global argScope, declared map[string]bool) error {
	for _, decl := range strings.Fields(args) {
		name, def, hasDef := strings.Cut(decl, "=")
		if !isArgName(name) {
			return fmt.Errorf("%q is not a variable name", name)
		}
		v := global[name]
		if hasDef {
			expanded, err := scope.substitute(def, false)
			if err != nil {
				return err
			}
			v = argValue{expanded, true}
		}
		if given, ok := buildArgs[name]; ok {
			v = argValue{given, true}
		}
		scope[name] = v
		declared[name] = true
	}
	return nil
}

// substitutedKeywords are the instructions besides FROM and ARG in which
// docker replaces variables itself. It leaves the others as written: an
// exec-form ENTRYPOINT or CMD would run "/${SERVICE}" literally.
var substitutedKeywords = []string{"ADD", "COPY", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}

// substitute replaces $NAME and ${NAME} in s with the values of the ARGs
// in scope, and refuses an ARG without a value. Outside RUN it refuses any
// other variable or form of expansion: docker would take it from the
// base image's environment, which is not read here. In a RUN (run true)
// the shell expands, from the environment where docker puts the ARGs;
// that gives the same words for values without spaces or shell syntax, so
// other values are refused, and whatever is not an ARG stays as written
// for GoBuild to refuse. A backslash keeps the character after it as
// written.
func (scope argScope) substitute(s string, run bool) (string, error) {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			out.WriteString(s[i : i+2])
			i++
			continue
		}
		if c != '$' {
			out.WriteByte(c)
			continue
		}
		name, n := argReference(s[i+1:])
		arg, declared := scope[name]
		switch {
		case !declared && run:
			out.WriteByte(c)
			continue
		case name == "":
			return "", fmt.Errorf("%q: only $NAME and ${NAME} are substituted", s[i:])
		case !declared:
			return "", fmt.Errorf("$%s is not an ARG of this stage", name)
		case !arg.set:
			return "", fmt.Errorf("ARG %s has no value: no default and no build argument", name)
		case run && strings.ContainsAny(arg.value, " \t'\""+shellSyntax):
			return "", fmt.Errorf("ARG %s is %q, which the shell would not keep as one word", name, arg.value)
		}
		out.WriteString(arg.value)
		i += n
	}
	return out.String(), nil
}

// argReference reads the variable after a "$": NAME or {NAME}, with the
// number of bytes it takes. It returns "" for anything else (a lone "$",
// ${NAME:-word} and the like).
func argReference(s string) (name string, n int) {
	if rest, ok := strings.CutPrefix(s, "{"); ok {
		if inner, _, found := strings.Cut(rest, "}"); found && isArgName(inner) {
			return inner, len(inner) + 2
		}
		return "", 0
	}
	for n < len(s) && isNameByte(s[n], n == 0) {
		n++
	}
	return s[:n], n
}

// isArgName reports whether s is a variable name: a letter or underscore,
// then letters, digits and underscores.
func isArgName(s string) bool {
	for i := range len(s) {
		if !isNameByte(s[i], i == 0) {
			return false
		}
	}
	return s != ""
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

// Final is the stage that becomes the image.
func (d *Dockerfile) Final() Stage { return d.Stages[len(d.Stages)-1] }

// Last returns the arguments of the stage's last instruction with keyword,
// or "".
func (s Stage) Last(keyword string) string {
	for i := len(s.Instructions) - 1; i >= 0; i-- {
		if s.Instructions[i].Keyword == keyword {
			return s.Instructions[i].Args
		}
	}
	return ""
}

// ContextSources are the source paths of the COPY and ADD instructions
// that read the build context (not another stage or image, nor a URL).
func (d *Dockerfile) ContextSources() []string {
	var sources []string
	for _, stage := range d.Stages {
		for _, in := range stage.Instructions {
			if in.Keyword != "COPY" && in.Keyword != "ADD" {
				continue
			}
			var paths []string
			fromContext := true
			for _, w := range strings.Fields(in.Args) {
				if flag, ok := strings.CutPrefix(w, "--"); ok {
					fromContext = fromContext && !strings.HasPrefix(flag, "from=")
					continue
				}
				paths = append(paths, w)
			}
			if !fromContext || len(paths) < 2 {
				continue
			}
			for _, p := range paths[:len(paths)-1] {
				if !strings.Contains(p, "://") {
					sources = append(sources, p)
				}
			}
		}
	}
	return sources
}

// GoBuild is the go build command of an image, as the shell would run it.
type GoBuild struct {
	// Env holds the NAME=value assignments before "go".
	Env []string
	// Args follow "go": build, flags, packages.
	Args []string
	// Dir is the WORKDIR it runs in.
	Dir string
	// Output is the -o path.
	Output string
}

// GoBuild finds the one RUN instruction that runs go build. It must be a
// plain command (assignments, go, arguments) so that it can be run here
// exactly as written.
func (d *Dockerfile) GoBuild() (*GoBuild, error) {
	var found *GoBuild
	for _, stage := range d.Stages {
		dir := "/"
		for _, in := range stage.Instructions {
			if in.Keyword == "WORKDIR" {
				dir = in.Args
			}
			if in.Keyword != "RUN" || !strings.Contains(in.Args, "go build") {
				continue
			}
			if found != nil {
				return nil, errors.New("more than one RUN with go build")
			}
			words, err := shellWords(in.Args)
			if err != nil {
				return nil, fmt.Errorf("RUN %s: %w", in.Args, err)
			}
			b := &GoBuild{Dir: dir}
			for len(words) > 0 && strings.Contains(words[0], "=") {
				b.Env = append(b.Env, words[0])
				words = words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				return nil, fmt.Errorf("RUN %s: want [NAME=value...] go build ...", in.Args)
			}
			b.Args = words[1:]
			for i, w := range b.Args {
				if w == "-o" && i+1 < len(b.Args) {
					b.Output = b.Args[i+1]
				}
			}
			if b.Output == "" {
				return nil, fmt.Errorf("RUN %s: no -o", in.Args)
			}
			found = b
		}
	}
	if found == nil {
		return nil, errors.New("no RUN with go build")
	}
	return found, nil
}

// shellSyntax are the characters that make the shell do more than split
// words.
const shellSyntax = "$`\\;&|<>(){}*?[]~#"

// shellWords splits a command as sh would, for commands without expansion,
// redirection or control operators, which it refuses.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if quote == '"' && strings.ContainsRune("$`\\", r) {
				return nil, fmt.Errorf("%q inside double quotes is not supported", r)
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune(shellSyntax, r):
			return nil, fmt.Errorf("shell syntax %q is not supported", r)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
