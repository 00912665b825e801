//! What `kubectl exec` and `kubectl attach` do in a mock container. Exec
//! interprets a handful of commands (documented in README.md) without running
//! anything; every unknown command behaves like `cat`. Attach echoes stdin.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use vk_plugin_sdk::{ExecRequest, ExecSession, ExitStatus};

/// A parsed exec command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `echo [-n] ARGS...` and `echo-stderr [-n] ARGS...`.
    Echo { text: String, to_stderr: bool },
    /// `exit N`, `true`, `false`.
    Exit(i32),
    /// `env` / `printenv`: the container's literal env vars.
    Env,
    /// `sleep SECONDS`: waits, then exits 0 (ends early if the client goes).
    Sleep(Duration),
    /// `stty size`: prints "ROWS COLUMNS" of the terminal.
    SttySize,
    /// `cat` and anything else: stdin to stdout until stdin closes.
    Cat,
    /// A command line the mock cannot make sense of: message on stderr.
    Usage { message: String, code: i32 },
}

/// Interprets `argv`. `sh -c SCRIPT` (also bash, ash, dash, with any path)
/// runs SCRIPT split into words as one of these commands; there are no
/// pipes, redirections or `;`.
pub fn parse(argv: &[String]) -> Command {
    let Some(program) = argv.first() else {
        return Command::Cat;
    };
    let args = &argv[1..];
    match program.rsplit('/').next().unwrap_or(program) {
        "echo" => echo(args, false),
        "echo-stderr" => echo(args, true),
        "true" => Command::Exit(0),
        "false" => Command::Exit(1),
        "exit" => match args.first().map(|a| a.parse::<i64>()) {
            None => Command::Exit(0),
            Some(Ok(code)) => Command::Exit(code.rem_euclid(256) as i32),
            Some(Err(_)) => Command::Usage {
                message: format!("exit: {}: numeric argument required\n", args[0]),
                code: 2,
            },
        },
        "env" | "printenv" if args.is_empty() => Command::Env,
        "sleep" => match args.first().map(|a| a.parse::<f64>()) {
            Some(Ok(seconds)) if seconds.is_finite() && seconds >= 0.0 => {
                Command::Sleep(Duration::from_secs_f64(seconds.min(1e9)))
            }
            _ => Command::Usage {
                message: "sleep: usage: sleep SECONDS\n".into(),
                code: 1,
            },
        },
        "stty" if args == ["size"] => Command::SttySize,
        "sh" | "bash" | "ash" | "dash" if args.first().is_some_and(|a| a == "-c") => {
            match args.get(1).map(|script| split_words(script)) {
                None => Command::Usage {
                    message: "sh: -c: option requires an argument\n".into(),
                    code: 2,
                },
                Some(Err(message)) => Command::Usage { message, code: 2 },
                Some(Ok(words)) if words.is_empty() => Command::Exit(0),
                Some(Ok(words)) => parse(&words),
            }
        }
        _ => Command::Cat,
    }
}

fn echo(args: &[String], to_stderr: bool) -> Command {
    let (newline, args) = match args.first() {
        Some(flag) if flag == "-n" => (false, &args[1..]),
        _ => (true, args),
    };
    let mut text = args.join(" ");
    if newline {
        text.push('\n');
    }
    Command::Echo { text, to_stderr }
}

/// Splits a shell script into words: whitespace separates, single and double
/// quotes group, a backslash escapes the next character (outside single quotes).
pub fn split_words(script: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("sh: unterminated quoted string\n".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("sh: unterminated quoted string\n".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("sh: unterminated quoted string\n".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Where a session's output goes, honouring what the client asked for:
/// nothing for streams it did not request, stderr into stdout with a TTY.
#[derive(Debug, Clone, Copy)]
struct Output<'a> {
    request: &'a ExecRequest,
    stdout: &'a mpsc::Sender<Bytes>,
    stderr: &'a mpsc::Sender<Bytes>,
}

impl<'a> Output<'a> {
    fn new(request: &'a ExecRequest, session: &'a ExecSession) -> Self {
        Self {
            request,
            stdout: &session.stdout,
            stderr: &session.stderr,
        }
    }

    /// Writes to stdout; false when the client has gone.
    async fn stdout(self, data: Bytes) -> bool {
        if !(self.request.stdout || self.request.tty) {
            return !self.stdout.is_closed();
        }
        self.stdout.send(data).await.is_ok()
    }

    /// Writes to stderr (stdout with a TTY); false when the client has gone.
    async fn stderr(self, data: Bytes) -> bool {
        if self.request.tty {
            return self.stdout(data).await;
        }
        if !self.request.stderr {
            return !self.stderr.is_closed();
        }
        self.stderr.send(data).await.is_ok()
    }
}

/// Runs `command` over the session. `env` is the container's literal
/// environment, in spec order.
pub async fn run(
    command: Command,
    request: &ExecRequest,
    mut session: ExecSession,
    env: &[(String, String)],
) -> ExitStatus {
    let out = Output::new(request, &session);
    let code = match command {
        Command::Echo { text, to_stderr } => {
            let data = Bytes::from(text);
            if to_stderr {
                out.stderr(data).await;
            } else {
                out.stdout(data).await;
            }
            0
        }
        Command::Exit(code) => code,
        Command::Env => {
            let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
            out.stdout(Bytes::from(text)).await;
            0
        }
        Command::Sleep(duration) => {
            tokio::select! {
                _ = tokio::time::sleep(duration) => {}
                _ = session.stdout.closed() => {}
            }
            0
        }
        Command::Usage { message, code } => {
            out.stderr(Bytes::from(message)).await;
            code
        }
        Command::SttySize => stty_size(request, &mut session).await,
        Command::Cat => {
            echo_stdin(request, &mut session).await;
            0
        }
    };
    ExitStatus::code(code)
}

async fn stty_size(request: &ExecRequest, session: &mut ExecSession) -> i32 {
    let out = Output::new(request, session);
    if !request.tty {
        out.stderr(Bytes::from_static(
            b"stty: standard input: Inappropriate ioctl for device\n",
        ))
        .await;
        return 1;
    }
    let mut size = request.terminal_size.unwrap_or_default();
    while let Ok(latest) = session.resize.try_recv() {
        size = latest;
    }
    Output::new(request, session)
        .stdout(Bytes::from(format!("{} {}\n", size.height, size.width)))
        .await;
    0
}

/// Copies stdin to stdout until stdin ends or the client goes away. Without
/// stdin there is nothing to copy and this returns at once.
pub async fn echo_stdin(request: &ExecRequest, session: &mut ExecSession) {
    if !request.stdin {
        return;
    }
    let ExecSession {
        stdin,
        stdout,
        stderr,
        ..
    } = session;
    let out = Output {
        request,
        stdout,
        stderr,
    };
    while let Some(data) = stdin.recv().await {
        if !out.stdout(data).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use vk_plugin_sdk::proto::TerminalSize;

    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn commands() {
        assert_eq!(
            parse(&argv(&["echo", "hello", "world"])),
            Command::Echo {
                text: "hello world\n".into(),
                to_stderr: false
            }
        );
        assert_eq!(
            parse(&argv(&["/bin/echo", "-n", "x"])),
            Command::Echo {
                text: "x".into(),
                to_stderr: false
            }
        );
        assert_eq!(
            parse(&argv(&["echo-stderr", "oops"])),
            Command::Echo {
                text: "oops\n".into(),
                to_stderr: true
            }
        );
        assert_eq!(parse(&argv(&["exit", "3"])), Command::Exit(3));
        assert_eq!(parse(&argv(&["exit", "256"])), Command::Exit(0));
        assert_eq!(parse(&argv(&["exit"])), Command::Exit(0));
        assert!(matches!(
            parse(&argv(&["exit", "x"])),
            Command::Usage { code: 2, .. }
        ));
        assert_eq!(parse(&argv(&["false"])), Command::Exit(1));
        assert_eq!(parse(&argv(&["true"])), Command::Exit(0));
        assert_eq!(parse(&argv(&["sh", "-c", "exit 7"])), Command::Exit(7));
        assert_eq!(parse(&argv(&["/bin/bash", "-c", ""])), Command::Exit(0));
        assert_eq!(
            parse(&argv(&["sh", "-c", "echo 'a  b' \"c\\\"d\""])),
            Command::Echo {
                text: "a  b c\"d\n".into(),
                to_stderr: false
            }
        );
        assert_eq!(parse(&argv(&["env"])), Command::Env);
        assert_eq!(
            parse(&argv(&["sleep", "0.5"])),
            Command::Sleep(Duration::from_millis(500))
        );
        assert_eq!(parse(&argv(&["stty", "size"])), Command::SttySize);
        assert_eq!(parse(&argv(&["cat"])), Command::Cat);
        assert_eq!(parse(&argv(&["sh"])), Command::Cat);
        assert_eq!(parse(&argv(&["nginx", "-g", "daemon off;"])), Command::Cat);
        assert!(split_words("echo 'open").is_err());
    }

    struct Client {
        stdin: Option<mpsc::Sender<Bytes>>,
        resize: mpsc::Sender<TerminalSize>,
        stdout: mpsc::Receiver<Bytes>,
        stderr: mpsc::Receiver<Bytes>,
    }

    fn session() -> (ExecSession, Client) {
        let (stdin_tx, stdin) = mpsc::channel(8);
        let (resize_tx, resize) = mpsc::channel(8);
        let (stdout, stdout_rx) = mpsc::channel(8);
        let (stderr, stderr_rx) = mpsc::channel(8);
        (
            ExecSession {
                stdin,
                resize,
                stdout,
                stderr,
            },
            Client {
                stdin: Some(stdin_tx),
                resize: resize_tx,
                stdout: stdout_rx,
                stderr: stderr_rx,
            },
        )
    }

    async fn drain(rx: &mut mpsc::Receiver<Bytes>) -> String {
        let mut out = Vec::new();
        while let Some(data) = rx.recv().await {
            out.extend_from_slice(&data);
        }
        String::from_utf8(out).expect("utf-8")
    }

    fn request(command: &[&str], stdin: bool, tty: bool) -> ExecRequest {
        ExecRequest {
            command: argv(command),
            container: "app".into(),
            stdin,
            stdout: true,
            stderr: true,
            tty,
            terminal_size: tty.then_some(TerminalSize {
                width: 80,
                height: 24,
            }),
            ..Default::default()
        }
    }

    async fn exec(request: ExecRequest, feed: &[&str]) -> (ExitStatus, String, String) {
        let (session, mut client) = session();
        let env = vec![
            ("A".to_owned(), "1".to_owned()),
            ("B".to_owned(), "two".to_owned()),
        ];
        let stdin = client.stdin.take().expect("stdin");
        for chunk in feed {
            stdin
                .send(Bytes::from(chunk.to_string()))
                .await
                .expect("stdin open");
        }
        drop(stdin);
        let status = run(parse(&request.command), &request, session, &env).await;
        drop(client.resize);
        (
            status,
            drain(&mut client.stdout).await,
            drain(&mut client.stderr).await,
        )
    }

    #[tokio::test]
    async fn sessions() {
        let (status, out, err) = exec(request(&["echo", "hi", "there"], false, false), &[]).await;
        assert_eq!(
            (status.code, out.as_str(), err.as_str()),
            (0, "hi there\n", "")
        );

        let (status, out, err) = exec(request(&["echo-stderr", "bad"], false, false), &[]).await;
        assert_eq!((status.code, out.as_str(), err.as_str()), (0, "", "bad\n"));

        let (status, out, _) = exec(request(&["echo-stderr", "bad"], false, true), &[]).await;
        assert_eq!((status.code, out.as_str()), (0, "bad\n"));

        let (status, _, _) = exec(request(&["sh", "-c", "exit 42"], false, false), &[]).await;
        assert_eq!(status.code, 42);

        let (status, out, _) = exec(request(&["cat"], true, false), &["abc", "def"]).await;
        assert_eq!((status.code, out.as_str()), (0, "abcdef"));

        let (status, out, _) = exec(request(&["cat"], false, false), &[]).await;
        assert_eq!((status.code, out.as_str()), (0, ""));

        let (status, out, _) = exec(request(&["env"], false, false), &[]).await;
        assert_eq!((status.code, out.as_str()), (0, "A=1\nB=two\n"));

        let (status, out, _) = exec(request(&["stty", "size"], false, true), &[]).await;
        assert_eq!((status.code, out.as_str()), (0, "24 80\n"));

        let (status, _, err) = exec(request(&["stty", "size"], false, false), &[]).await;
        assert_eq!(status.code, 1);
        assert!(err.contains("Inappropriate ioctl"));

        let (status, _, _) = exec(request(&["sleep", "0.01"], false, false), &[]).await;
        assert_eq!(status.code, 0);
    }
}
