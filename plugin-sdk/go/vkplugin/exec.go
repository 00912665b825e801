package vkplugin

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	utilexec "k8s.io/utils/exec"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// resizeDepth: a full resize queue only loses intermediate sizes.
const resizeDepth = 8

type execStream = grpc.BidiStreamingServer[pb.ExecInput, pb.ExecOutput]

func (s *lifecycleServer) Exec(stream execStream) error {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_EXEC)
	if err != nil {
		return err
	}
	return s.runSession(inst, stream, func(ctx context.Context, start *pb.ExecStart, io api.AttachIO) error {
		ref := start.GetPod()
		return inst.handler.(execProvider).RunInContainer(ctx, ref.GetNamespace(), ref.GetName(), start.GetContainer(), start.GetCommand(), io)
	}, true)
}

func (s *lifecycleServer) Attach(stream execStream) error {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_ATTACH)
	if err != nil {
		return err
	}
	return s.runSession(inst, stream, func(ctx context.Context, start *pb.ExecStart, io api.AttachIO) error {
		ref := start.GetPod()
		return inst.handler.(attachProvider).AttachToContainer(ctx, ref.GetNamespace(), ref.GetName(), start.GetContainer(), io)
	}, false)
}

// runSession reads `start`, wires the stream to an api.AttachIO, runs the
// provider and ends with exactly one `exit`. An error that is a
// k8s.io/utils/exec.ExitError (how upstream providers report a command's
// exit code to the kubelet API) becomes that exit code; other errors end
// the stream with their status.
func (s *lifecycleServer) runSession(inst *instance, stream execStream,
	run func(context.Context, *pb.ExecStart, api.AttachIO) error, isExec bool) error {
	first, err := stream.Recv()
	if err != nil {
		return invalid("the stream ended before its `start` message")
	}
	start := first.GetStart()
	if start == nil {
		return invalid("the first message of the stream must be `start`")
	}
	if err := checkRef(start.GetPod()); err != nil {
		return err
	}
	if start.GetContainer() == "" {
		return invalid("`start.container` is required")
	}
	if isExec && len(start.GetCommand()) == 0 {
		return invalid("`start.command` is required for exec")
	}
	ctx, cancel := s.plugin.streamContext(stream.Context())
	defer cancel()
	if err := checkContainer(ctx, inst, start.GetPod(), start.GetContainer()); err != nil {
		return err
	}
	if err := sendHeaders(stream); err != nil {
		return err
	}
	session := newExecIO(stream, start)
	go session.pumpInput(stream)
	runErr := run(ctx, start, session)
	session.finish()
	code, reason := int32(0), ""
	var exit utilexec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exit):
		code = int32(exit.ExitStatus())
		if !exit.Exited() {
			reason = exit.Error()
		}
	case ctx.Err() != nil:
		return status.Error(codes.Canceled, "the client went away")
	default:
		return ToStatus(runErr)
	}
	return session.send(&pb.ExecOutput{Output: &pb.ExecOutput_Exit{Exit: &pb.ExecExit{Code: code, Reason: reason}}})
}

// execIO is upstream's api.AttachIO over one exec/attach stream. Stdin is
// nil unless the client sends it; Stdout and Stderr are nil unless wanted
// (Stderr always nil with a TTY, which merges it into stdout); Resize is
// nil without a TTY.
type execIO struct {
	start  *pb.ExecStart
	stdinR *io.PipeReader
	stdinW *io.PipeWriter
	resize chan api.TermSize
	sendMu sync.Mutex
	stream execStream
	done   bool
	stdout io.WriteCloser
	stderr io.WriteCloser
}

func newExecIO(stream execStream, start *pb.ExecStart) *execIO {
	e := &execIO{start: start, stream: stream}
	if start.GetStdin() {
		e.stdinR, e.stdinW = io.Pipe()
	}
	if start.GetTty() {
		e.resize = make(chan api.TermSize, resizeDepth)
		if size := start.GetTerminalSize(); size != nil {
			e.resize <- termSize(size)
		}
	}
	if start.GetStdout() {
		e.stdout = outputWriter{e, func(b []byte) *pb.ExecOutput { return &pb.ExecOutput{Output: &pb.ExecOutput_Stdout{Stdout: b}} }}
	}
	if start.GetStderr() && !start.GetTty() {
		e.stderr = outputWriter{e, func(b []byte) *pb.ExecOutput { return &pb.ExecOutput{Output: &pb.ExecOutput_Stderr{Stderr: b}} }}
	}
	return e
}

func termSize(size *pb.TerminalSize) api.TermSize {
	return api.TermSize{Width: uint16(size.GetWidth()), Height: uint16(size.GetHeight())}
}

func (e *execIO) Stdin() io.Reader {
	if e.stdinR == nil {
		return nil
	}
	return e.stdinR
}
func (e *execIO) Stdout() io.WriteCloser { return e.stdout }
func (e *execIO) Stderr() io.WriteCloser { return e.stderr }
func (e *execIO) TTY() bool              { return e.start.GetTty() }
func (e *execIO) Resize() <-chan api.TermSize {
	if e.resize == nil {
		return nil
	}
	return e.resize
}

// pumpInput carries client messages into stdin and resize until the
// client closes stdin or the stream ends (both are end-of-file on stdin).
func (e *execIO) pumpInput(stream execStream) {
	defer e.closeStdin()
	for {
		msg, err := stream.Recv()
		if err != nil {
			return
		}
		switch input := msg.GetInput().(type) {
		case *pb.ExecInput_Stdin:
			if e.stdinW != nil {
				// Blocks until the provider reads: gRPC flow control
				// then slows the client.
				_, _ = e.stdinW.Write(input.Stdin)
			}
		case *pb.ExecInput_Resize:
			if e.resize != nil {
				select {
				case e.resize <- termSize(input.Resize):
				default:
				}
			}
		case *pb.ExecInput_CloseStdin:
			e.closeStdin()
		}
	}
}

func (e *execIO) closeStdin() {
	if e.stdinW != nil {
		e.stdinW.Close()
	}
}

// finish: the provider returned; its late writes fail and a blocked stdin
// write ends.
func (e *execIO) finish() {
	e.sendMu.Lock()
	e.done = true
	e.sendMu.Unlock()
	if e.stdinR != nil {
		e.stdinR.CloseWithError(io.ErrClosedPipe)
	}
}

// send writes one message; stdout and stderr writers may run in parallel
// and a gRPC stream takes one Send at a time.
func (e *execIO) send(msg *pb.ExecOutput) error {
	e.sendMu.Lock()
	defer e.sendMu.Unlock()
	return e.stream.Send(msg)
}

type outputWriter struct {
	e    *execIO
	wrap func([]byte) *pb.ExecOutput
}

func (w outputWriter) Write(p []byte) (int, error) {
	w.e.sendMu.Lock()
	defer w.e.sendMu.Unlock()
	if w.e.done {
		return 0, io.ErrClosedPipe
	}
	for rest := p; len(rest) > 0; {
		n := min(len(rest), logChunkBytes)
		if err := w.e.stream.Send(w.wrap(append([]byte(nil), rest[:n]...))); err != nil {
			return len(p) - len(rest), err
		}
		rest = rest[n:]
	}
	return len(p), nil
}

// Close is a no-op: the stream ends with the provider's return.
func (outputWriter) Close() error { return nil }
