package provider

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	corev1 "k8s.io/api/core/v1"
	utilexec "k8s.io/utils/exec"
)

// RunInContainer runs a SIMULATED command: the containers of this provider
// are not real, so exec knows a few built-in commands only:
//
//	echo ARGS...     prints ARGS joined by spaces
//	cat              copies stdin to stdout until end-of-file
//	hostname         prints the pod's name
//	env              prints the container's environment, NAME=VALUE lines
//	true, false      exit 0, exit 1
//	sh -c 'exit N'   exits with code N
//	sh -c 'CMD ...'  runs CMD as above (words split on spaces, no quoting)
//
// Anything else prints "CMD: command not found" on stderr and exits 127.
// Exit codes reach kubectl as upstream providers report them: a
// k8s.io/utils/exec.ExitError.
func (p *Provider) RunInContainer(ctx context.Context, namespace, podName, containerName string, cmd []string, attach api.AttachIO) error {
	container, err := p.container(namespace, podName, containerName)
	if err != nil {
		return err
	}
	code := p.run(ctx, podName, container, cmd, attach)
	if code != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
	}
	return nil
}

func (p *Provider) run(ctx context.Context, podName string, container corev1.Container, cmd []string, attach api.AttachIO) int {
	out := func(text string) {
		if w := attach.Stdout(); w != nil {
			io.WriteString(w, text)
		}
	}
	switch cmd[0] {
	case "echo":
		out(strings.Join(cmd[1:], " ") + "\n")
	case "cat":
		if in, w := attach.Stdin(), attach.Stdout(); in != nil && w != nil {
			io.Copy(w, in)
		} else if in != nil {
			io.Copy(io.Discard, in)
		}
	case "hostname":
		out(podName + "\n")
	case "env":
		for _, e := range container.Env {
			out(e.Name + "=" + e.Value + "\n")
		}
	case "true":
	case "false":
		return 1
	case "sh":
		if len(cmd) == 3 && cmd[1] == "-c" {
			words := strings.Fields(cmd[2])
			if len(words) == 2 && words[0] == "exit" {
				if n, err := strconv.Atoi(words[1]); err == nil {
					return n
				}
			}
			if len(words) > 0 {
				return p.run(ctx, podName, container, words, attach)
			}
			return 0
		}
		fallthrough
	default:
		if w := attach.Stderr(); w != nil {
			fmt.Fprintf(w, "%s: command not found (this provider simulates its containers: "+
				"echo, cat, hostname, env, true, false and sh -c 'exit N' only)\n", cmd[0])
		}
		return 127
	}
	return 0
}

// AttachToContainer attaches to the SIMULATED main process: it echoes
// what the client sends on stdin until end-of-file; without stdin it shows
// the container's new log lines until the client detaches.
func (p *Provider) AttachToContainer(ctx context.Context, namespace, podName, containerName string, attach api.AttachIO) error {
	if _, err := p.container(namespace, podName, containerName); err != nil {
		return err
	}
	if in := attach.Stdin(); in != nil {
		w := attach.Stdout()
		if w == nil {
			w = nopWriteCloser{io.Discard}
		}
		_, err := io.Copy(w, in)
		return err
	}
	if attach.Stdout() == nil {
		<-ctx.Done()
		return nil
	}
	source, err := p.logSource(namespace, podName, containerName)
	if err != nil {
		return err
	}
	for i := source.count(time.Now()); p.waitForLine(ctx, source, i, namespace, podName); i++ {
		text, _ := source.line(i)
		if _, err := io.WriteString(attach.Stdout(), text+"\n"); err != nil {
			return nil
		}
	}
	return nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// container is the spec of a container of a held pod.
func (p *Provider) container(namespace, podName, name string) (corev1.Container, error) {
	pod, err := p.GetPod(context.Background(), namespace, podName)
	if err != nil {
		return corev1.Container{}, err
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return c, nil
		}
	}
	return corev1.Container{}, errdefs.NotFoundf("pod %s/%s has no container %s", namespace, podName, name)
}
