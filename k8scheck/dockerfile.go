package k8scheck

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Dockerfile is the part of a Dockerfile that the checks read: its stages
// and their instructions, with line continuations joined.
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

// ParseDockerfile reads path.
func ParseDockerfile(path string) (*Dockerfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &Dockerfile{}
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
		in := Instruction{Keyword: strings.ToUpper(keyword), Args: strings.TrimSpace(args)}
		if in.Keyword == "FROM" {
			fields := strings.Fields(in.Args)
			stage := Stage{From: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				stage.Name = fields[2]
			}
			d.Stages = append(d.Stages, stage)
			continue
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
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if len(d.Stages) == 0 {
		return nil, fmt.Errorf("%s: no FROM", path)
	}
	return d, nil
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
		case strings.ContainsRune("$`\\;&|<>(){}*?[]~#", r):
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
