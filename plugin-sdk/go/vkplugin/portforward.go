package vkplugin

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

type forwardStream = grpc.BidiStreamingServer[pb.PortForwardInput, pb.PortForwardOutput]

func (s *lifecycleServer) PortForward(stream forwardStream) error {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_PORT_FORWARD)
	if err != nil {
		return err
	}
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
	if start.GetPort() == 0 || start.GetPort() > 65535 {
		return invalid("port %d is not a TCP port", start.GetPort())
	}
	ctx, cancel := s.plugin.streamContext(stream.Context())
	defer cancel()
	if _, err := heldPod(ctx, inst, start.GetPod()); err != nil {
		return err
	}
	if err := sendHeaders(stream); err != nil {
		return err
	}
	conn := newForwardConn(ctx, stream)
	ref := start.GetPod()
	err = inst.handler.(portForwardProvider).PortForward(ctx, ref.GetNamespace(), ref.GetName(), int32(start.GetPort()), conn)
	conn.Close()
	return ToStatus(err)
}

// forwardConn is one forwarded connection as the io.ReadWriteCloser
// upstream's PortForward takes: Read gives the client's bytes (io.EOF once
// the client closed its side), Write sends to the client.
type forwardConn struct {
	ctx      context.Context
	stream   forwardStream
	incoming chan []byte
	rest     []byte
	sendMu   sync.Mutex
	closed   chan struct{}
	once     sync.Once
}

func newForwardConn(ctx context.Context, stream forwardStream) *forwardConn {
	c := &forwardConn{ctx: ctx, stream: stream, incoming: make(chan []byte, resizeDepth), closed: make(chan struct{})}
	go func() {
		defer close(c.incoming)
		for {
			msg, err := stream.Recv()
			if err != nil {
				return
			}
			if data := msg.GetData(); len(data) > 0 {
				select {
				case c.incoming <- data:
				case <-c.closed:
					return
				}
			}
		}
	}()
	return c
}

func (c *forwardConn) Read(p []byte) (int, error) {
	if len(c.rest) == 0 {
		select {
		case data, ok := <-c.incoming:
			if !ok {
				return 0, io.EOF
			}
			c.rest = data
		case <-c.closed:
			return 0, io.EOF
		case <-c.ctx.Done():
			return 0, c.ctx.Err()
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

func (c *forwardConn) Write(p []byte) (int, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	select {
	case <-c.closed:
		return 0, io.ErrClosedPipe
	default:
	}
	for rest := p; len(rest) > 0; {
		n := min(len(rest), logChunkBytes)
		if err := c.stream.Send(&pb.PortForwardOutput{Data: append([]byte(nil), rest[:n]...)}); err != nil {
			return len(p) - len(rest), err
		}
		rest = rest[n:]
	}
	return len(p), nil
}

// Close ends the connection; the stream ends when PortForward returns.
func (c *forwardConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}
