package stack

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Proc is one child process of the stack. It runs in its own process
// group, and the kernel kills it if the runner dies, so nothing is left
// behind.
type Proc struct {
	Name    string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
	started time.Time
	ended   time.Time // when Wait returned; set before done is closed
}

// startProc starts bin with args and env, copying each output line to log
// with the name as prefix.
func startProc(name, bin string, args, env []string, log io.Writer) (*Proc, error) {
	return startProcAs(name, bin, args, env, log, nil)
}

// startProcAs is startProc with the process run as the user of cred (nil:
// as the runner).
func startProcAs(name, bin string, args, env []string, log io.Writer, cred *syscall.Credential) (*Proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	started := time.Now()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{}), started: started}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		prefixLines(r, name, log)
	}()
	go func() {
		p.err = cmd.Wait()
		p.ended = time.Now()
		// The output ends when every process that holds it has exited; a
		// descendant that outlives the process must not hold Stop up.
		select {
		case <-copied:
		case <-time.After(time.Second):
		}
		r.Close()
		close(p.done)
	}()
	return p, nil
}

var logMu sync.Mutex

func prefixLines(r io.Reader, name string, w io.Writer) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		logMu.Lock()
		fmt.Fprintf(w, "%-12s| %s\n", name, s.Bytes())
		logMu.Unlock()
	}
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// ExitCode is the exit code once the process has ended, or -1.
func (p *Proc) ExitCode() int {
	if !p.Exited() || p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// exitStatus says how the process ended ("signal: killed", "exit status
// 0"), once it has.
func (p *Proc) exitStatus() string {
	if p.cmd.ProcessState != nil {
		return p.cmd.ProcessState.String()
	}
	return fmt.Sprint(p.err)
}

// ran is how long the process ran, once it has ended.
func (p *Proc) ran() time.Duration { return p.ended.Sub(p.started) }

// Stop asks the process group to end, and kills it after grace.
func (p *Proc) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Kill()
	}
}

// Kill ends the process group at once, as a crash would.
func (p *Proc) Kill() {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}
