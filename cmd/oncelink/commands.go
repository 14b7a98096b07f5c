package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"oncelink/i18n"
)

// proc is what a command runs with: the process's environment and standard
// streams, passed in so that tests run commands in-process, and the
// language it speaks to people in, which the command's ctx carries too.
type proc struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	loc            *i18n.Localizer
}

// T is the message id in p's language.
func (p *proc) T(id string, pairs ...any) string { return p.loc.T(id, pairs...) }

// N is the message id in p's language, in the plural form for n.
func (p *proc) N(id string, n int, pairs ...any) string { return p.loc.N(id, n, pairs...) }

// runFunc runs a command once its flags are parsed, with the arguments that
// were not flags.
type runFunc func(ctx context.Context, p *proc, args []string) error

// command is one entry of the command table: what help lists, completion
// offers, and what runs.
type command struct {
	name    string // as typed after its parent: "add" in "oncelink user add"
	args    string // the arguments in the usage line: "NAME"
	summary string // one line for the list of commands
	// flags declares the command's flags on fs and returns what runs with
	// their values. help and completion call it to learn the flags.
	flags func(fs *flag.FlagSet) runFunc
	// twins says which flags have an environment twin (see twin); nil: none.
	twins func(flag string) bool
	// words are the only arguments the command takes, for completion.
	words []string
	// subcommands make a command that only groups others, such as user.
	subcommands []command
}

// commandTable is every command. A new one is an entry here, or under the
// entry that groups it.
func commandTable() []command {
	return []command{
		{name: "serve", summary: "run the server (the command when none is given)", twins: everyFlag, flags: serveCommand},
		{name: "user", summary: "manage accounts", subcommands: []command{
			{name: "list", summary: "list the accounts", twins: onlyDB, flags: userList},
			{name: "add", args: "NAME", summary: "add an account", twins: onlyDB, flags: userAdd},
			{name: "passwd", args: "NAME", summary: "set an account's password", twins: onlyDB, flags: userPasswd},
			{name: "disable", args: "NAME", summary: "disable an account: it can no longer sign in", twins: onlyDB, flags: userDisable},
			{name: "enable", args: "NAME", summary: "enable a disabled account", twins: onlyDB, flags: userEnable},
			{name: "promote", args: "NAME", summary: "make an account an administrator", twins: onlyDB, flags: userPromote},
			{name: "demote", args: "NAME", summary: "make an administrator a member again", twins: onlyDB, flags: userDemote},
			{name: "delete", args: "NAME", summary: "delete an account with its links", twins: onlyDB, flags: userDelete},
			{name: "key", args: "NAME", summary: "print a new API key of an account", twins: onlyDB, flags: userKey},
			{name: "2fa-reset", args: "NAME", summary: "remove an account's second factors, when its owner lost them", twins: onlyDB, flags: userResetTwoFactor},
		}},
		{name: "login", args: "URL", summary: "sign in to a server with an API key, and remember it", flags: loginCommand},
		{name: "share", args: "[TEXT]", summary: "share a message (TEXT or standard input), a file or a URL once; print its link", flags: shareCommand},
		{name: "open", args: "URL", summary: "open a link: print its message or URL, or save its file", flags: openCommand},
		{name: "request", summary: "ask someone to send you a secret once; print the request's link", flags: requestCommand},
		{name: "links", summary: "list your links, newest first", flags: linksCommand},
		{name: "revoke", args: "ID", summary: "revoke a link: no one can open it any more", flags: revokeCommand},
		{name: "events", args: "ID", summary: "print a link's audit trail: who viewed and opened it, when, from where", flags: eventsCommand},
		{name: "webhook", summary: "manage your webhook endpoints", subcommands: webhookCommands()},
		{name: "completion", args: "bash|zsh|fish", summary: "print a shell completion script", words: shells, flags: completionCommand},
		{name: "help", args: "[COMMAND]", summary: "print the commands, or one command's arguments and flags", flags: helpCommand},
	}
}

// serveCommand declares serve's flags, the ones parseConfig reads, and
// runs the server.
func serveCommand(fs *flag.FlagSet) runFunc {
	var c config
	configFlags(fs, &c)
	return func(ctx context.Context, p *proc, args []string) error {
		if err := c.complete(p.loc, args); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		return serve(ctx, c, p.stderr)
	}
}

// helpCommand lists the commands, or tells one's arguments and flags.
func helpCommand(*flag.FlagSet) runFunc {
	return func(ctx context.Context, p *proc, args []string) error {
		if len(args) == 0 {
			printCommands(p.stdout, commandTable())
			return nil
		}
		c, path, rest := find(commandTable(), args)
		if c == nil || len(rest) > 0 {
			return unknownCommand(i18n.From(ctx), path, rest)
		}
		printHelp(p.stdout, c, path)
		return nil
	}
}

// isHelp reports whether arg asks for help as a flag would.
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// run is the whole program, with its surroundings passed in so that tests
// can run it in-process. It runs the command that args name; no command,
// or a flag first, is serve. It is where the language of the messages is
// chosen, from the environment (see cliLanguage), for every command.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx = i18n.With(ctx, cliLanguage(getenv))
	p := &proc{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, loc: i18n.From(ctx)}
	switch {
	case len(args) > 0 && isHelp(args[0]):
		args = append([]string{"help"}, args[1:]...)
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		args = append([]string{"serve"}, args...)
	}
	c, path, rest := find(commandTable(), args)
	if c == nil {
		return unknownCommand(p.loc, path, rest)
	}
	if c.subcommands != nil {
		// "oncelink user" alone, or "oncelink user --help".
		if len(rest) > 0 && !isHelp(rest[0]) {
			return unknownCommand(p.loc, path, rest)
		}
		printHelp(p.stdout, c, path)
		return nil
	}
	fs := newFlagSet("oncelink " + strings.Join(path, " "))
	runCmd := c.flags(fs)
	args, err := parseFlags(fs, rest, p.getenv, c.twins)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(p.stdout, c, path)
		return nil
	}
	if err != nil {
		err = &exitError{code: exitUsage, err: err}
	} else {
		err = explain(ctx, runCmd(ctx, p, args))
	}
	if exitCode(err) == exitUsage {
		more := ""
		if hasFlags(fs) {
			more = p.T("cli.usage.see", "Help", fmt.Sprintf("%q", "oncelink help "+strings.Join(path, " ")))
		}
		return fmt.Errorf("%w\n%s", err, p.T("cli.usage.line", "Usage", usageLine(c, path), "More", more))
	}
	return err
}

// find follows args through the table: "user add dave" finds user add,
// with the path [user add] and dave left. A command that groups others
// stops at the first argument that names none of them. c is nil when no
// command has the name.
func find(cmds []command, args []string) (c *command, path, rest []string) {
	for len(args) > 0 {
		i := slices.IndexFunc(cmds, func(c command) bool { return c.name == args[0] })
		if i < 0 {
			break
		}
		c, path, args = &cmds[i], append(path, args[0]), args[1:]
		if c.subcommands == nil {
			break
		}
		cmds = c.subcommands
	}
	return c, path, args
}

// unknownCommand is the usage error for rest[0] after path.
func unknownCommand(l *i18n.Localizer, path, rest []string) error {
	name := strings.Join(append(slices.Clone(path), rest[0]), " ")
	return usageError(l.T("cli.usage.unknown_command", "Name", fmt.Sprintf("%q", name),
		"Help", fmt.Sprintf("%q", strings.Join(append([]string{"oncelink help"}, path...), " "))))
}

// usageLine is c's synopsis: "oncelink user add NAME [flags]".
func usageLine(c *command, path []string) string {
	line := "oncelink " + strings.Join(path, " ")
	if c.name == "serve" {
		line = "oncelink [serve]"
	}
	if c.subcommands != nil {
		return line + " COMMAND"
	}
	if c.args != "" {
		line += " " + c.args
	}
	fs := newFlagSet(line)
	c.flags(fs)
	if hasFlags(fs) {
		line += " [flags]"
	}
	return line
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// printCommands lists every command on a line of its own, subcommands under
// their group's name.
func printCommands(w io.Writer, cmds []command) {
	fmt.Fprint(w, `oncelink shares something once: a server of one-time links, the commands to run it,
and the commands to share and open links from a terminal.

usage: oncelink [COMMAND] [ARGUMENTS] [FLAGS]

commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range cmds {
		listCommands(tw, c, nil)
	}
	tw.Flush()
	fmt.Fprint(w, `
Without a command, oncelink serves. Flags go before or after arguments.
"oncelink help COMMAND" tells a command's arguments and flags.
`)
}

// listCommands writes c, or each of its subcommands, as a line of a table.
func listCommands(tw io.Writer, c command, parent []string) {
	path := append(slices.Clone(parent), c.name)
	if c.subcommands == nil {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.Join(path, " "), c.summary)
		return
	}
	for _, sub := range c.subcommands {
		listCommands(tw, sub, path)
	}
}

// printHelp tells what c does: its usage line and flags, or the commands it
// groups.
func printHelp(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "usage: %s\n\n%s.\n", usageLine(c, path), upperFirst(c.summary))
	if c.subcommands != nil {
		fmt.Fprint(w, "\ncommands:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		for _, sub := range c.subcommands {
			listCommands(tw, sub, path)
		}
		tw.Flush()
		return
	}
	fs := newFlagSet("")
	c.flags(fs)
	if !hasFlags(fs) {
		return
	}
	fmt.Fprint(w, "\nflags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := valueName(f)
		fmt.Fprintf(w, "  %s%s", flagWord(f.Name), value)
		if c.twins != nil && c.twins(f.Name) {
			fmt.Fprintf(w, "   ($%s)", twin(f.Name))
		}
		fmt.Fprintf(w, "\n        %s", usage)
		if f.DefValue != "" && !(isBoolFlag(f) && f.DefValue == "false") {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// flagWord is how a flag is written: --ttl, and -o for a one-letter flag.
// The flag package reads either with one dash or two.
func flagWord(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// valueName is what stands for f's value in help, " DURATION", or nothing
// for a flag that takes none, and f's usage. A usage names the value in
// backquotes, as for flag.PrintDefaults; otherwise the flag's name does.
func valueName(f *flag.Flag) (name, usage string) {
	name, usage = flag.UnquoteUsage(f)
	switch f.Value.(type) {
	case durationFlag:
		return " DURATION", usage
	case rateFlag:
		return " N/DURATION", usage
	case sizeFlag:
		return " SIZE", usage
	}
	switch {
	case isBoolFlag(f):
		return "", usage
	case !strings.Contains(f.Usage, "`"):
		name = strings.ToUpper(f.Name)
	}
	return " " + name, usage
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
