package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"oncelink/core"
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
	summary string // the id of its message: one line for the list of commands
	// flags declares the command's flags on fs, each with the id of its
	// message as its usage, and returns what runs with their values. help
	// and completion call it to learn the flags.
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
		{name: "serve", summary: "cli.cmd.serve", twins: everyFlag, flags: serveCommand},
		{name: "user", summary: "cli.cmd.user", subcommands: []command{
			{name: "list", summary: "cli.cmd.user_list", twins: onlyDB, flags: userList},
			{name: "add", args: "NAME", summary: "cli.cmd.user_add", twins: onlyDB, flags: userAdd},
			{name: "passwd", args: "NAME", summary: "cli.cmd.user_passwd", twins: onlyDB, flags: userPasswd},
			{name: "disable", args: "NAME", summary: "cli.cmd.user_disable", twins: onlyDB, flags: userDisable},
			{name: "enable", args: "NAME", summary: "cli.cmd.user_enable", twins: onlyDB, flags: userEnable},
			{name: "promote", args: "NAME", summary: "cli.cmd.user_promote", twins: onlyDB, flags: userPromote},
			{name: "demote", args: "NAME", summary: "cli.cmd.user_demote", twins: onlyDB, flags: userDemote},
			{name: "delete", args: "NAME", summary: "cli.cmd.user_delete", twins: onlyDB, flags: userDelete},
			{name: "key", args: "NAME", summary: "cli.cmd.user_key", twins: onlyDB, flags: userKey},
			{name: "2fa-reset", args: "NAME", summary: "cli.cmd.user_2fa_reset", twins: onlyDB, flags: userResetTwoFactor},
		}},
		{name: "login", args: "URL", summary: "cli.cmd.login", flags: loginCommand},
		{name: "share", args: "[TEXT]", summary: "cli.cmd.share", flags: shareCommand},
		{name: "open", args: "URL", summary: "cli.cmd.open", flags: openCommand},
		{name: "request", summary: "cli.cmd.request", flags: requestCommand},
		{name: "requests", summary: "cli.cmd.requests", flags: requestsCommand},
		{name: "withdraw", args: "ID", summary: "cli.cmd.withdraw", flags: withdrawCommand},
		{name: "links", summary: "cli.cmd.links", flags: linksCommand},
		{name: "revoke", args: "ID", summary: "cli.cmd.revoke", flags: revokeCommand},
		{name: "events", args: "ID", summary: "cli.cmd.events", flags: eventsCommand},
		{name: "webhook", summary: "cli.cmd.webhook", subcommands: webhookCommands()},
		{name: "version", summary: "cli.cmd.version", flags: versionCommand},
		{name: "completion", args: "bash|zsh|fish", summary: "cli.cmd.completion", words: shells, flags: completionCommand},
		{name: "help", args: "[COMMAND]", summary: "cli.cmd.help", flags: helpCommand},
	}
}

// serveCommand declares serve's flags (configFlags) and runs the server.
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
			printCommands(p.stdout, p.loc, commandTable())
			return nil
		}
		c, path, rest := find(commandTable(), args)
		if c == nil || len(rest) > 0 {
			return unknownCommand(i18n.From(ctx), path, rest)
		}
		printHelp(p.stdout, p.loc, c, path)
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
	case len(args) > 0 && isVersion(args[0]):
		args = append([]string{"version"}, args[1:]...)
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		args = append([]string{"serve"}, args...)
	}
	c, path, rest := find(commandTable(), args)
	if c == nil {
		return unknownCommand(p.loc, path, rest)
	}
	if c.subcommands != nil {
		// "oncelink user --help" is help; "oncelink user" alone is a
		// usage error, with the commands it groups.
		switch {
		case len(rest) > 0 && isHelp(rest[0]):
			printHelp(p.stdout, p.loc, c, path)
			return nil
		case len(rest) > 0:
			return unknownCommand(p.loc, path, rest)
		}
		var help strings.Builder
		printHelp(&help, p.loc, c, path)
		return usageError(p.T("cli.usage.command_missing", "Help", "oncelink help "+strings.Join(path, " ")) +
			"\n" + strings.TrimRight(help.String(), "\n"))
	}
	fs := newFlagSet("oncelink " + strings.Join(path, " "))
	runCmd := c.flags(fs)
	args, env, err := parseFlags(fs, rest, p.getenv, c.twins, p.loc)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(p.stdout, p.loc, c, path)
		return nil
	}
	if err != nil {
		err = &exitError{code: exitUsage, err: err}
	} else {
		err = nameSources(explain(ctx, runCmd(ctx, p, args)), env)
	}
	if exitCode(err) == exitUsage {
		more := ""
		if hasFlags(fs) {
			// Quoted as the language quotes a command.
			more = p.T("cli.usage.see", "Help", "oncelink help "+strings.Join(path, " "))
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
	return usageError(l.T("cli.usage.unknown_command", "Name", l.Quote(name),
		"Help", strings.Join(append([]string{"oncelink help"}, path...), " ")))
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
func printCommands(w io.Writer, l *i18n.Localizer, cmds []command) {
	fmt.Fprintf(w, "%s\n\n%s\n\n%s\n", l.T("cli.help.intro"),
		l.T("cli.usage.line", "Usage", "oncelink [COMMAND] [ARGUMENTS] [FLAGS]", "More", ""), l.T("cli.help.commands"))
	tw := newTable(w, 3)
	for _, c := range cmds {
		listCommands(tw, l, c, nil)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n\n%s\n", l.T("cli.help.outro", "Help", "oncelink help COMMAND"), l.T("cli.help.exits"))
}

// listCommands writes c, or each of its subcommands, as a line of a table.
func listCommands(tw io.Writer, l *i18n.Localizer, c command, parent []string) {
	path := append(slices.Clone(parent), c.name)
	if c.subcommands == nil {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.Join(path, " "), l.T(c.summary))
		return
	}
	for _, sub := range c.subcommands {
		listCommands(tw, l, sub, path)
	}
}

// printHelp tells what c does: its usage line and flags, or the commands it
// groups.
func printHelp(w io.Writer, l *i18n.Localizer, c *command, path []string) {
	fmt.Fprintf(w, "%s\n\n%s.\n", l.T("cli.usage.line", "Usage", usageLine(c, path), "More", ""), upperFirst(l.T(c.summary)))
	if c.subcommands != nil {
		fmt.Fprintf(w, "\n%s\n", l.T("cli.help.commands"))
		tw := newTable(w, 3)
		for _, sub := range c.subcommands {
			listCommands(tw, l, sub, path)
		}
		tw.Flush()
		return
	}
	fs := newFlagSet("")
	c.flags(fs)
	if !hasFlags(fs) {
		return
	}
	fmt.Fprintf(w, "\n%s\n", l.T("cli.help.flags"))
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := valueName(f, l)
		fmt.Fprintf(w, "  %s%s", flagWord(f.Name), value)
		if c.twins != nil && c.twins(f.Name) {
			fmt.Fprintf(w, "   ($%s)", twin(f.Name))
		}
		fmt.Fprintf(w, "\n        %s", usage)
		if f.DefValue != "" && !(isBoolFlag(f) && f.DefValue == "false") {
			fmt.Fprintf(w, " %s", l.T("cli.help.default", "Value", f.DefValue))
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
// for a flag that takes none, and f's usage in l's language. A usage names
// the value in backquotes, as for flag.PrintDefaults; otherwise the flag's
// name does.
func valueName(f *flag.Flag, l *i18n.Localizer) (name, usage string) {
	said := *f
	said.Usage = flagUsage(f, l)
	name, usage = flag.UnquoteUsage(&said)
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
	case !strings.Contains(said.Usage, "`"):
		name = strings.ToUpper(f.Name)
	}
	return " " + name, usage
}

// flagUsage is f's usage, the id of its message, in l's language. A usage
// may name the kinds of events that webhooks send.
func flagUsage(f *flag.Flag, l *i18n.Localizer) string {
	return l.T(f.Usage, "Events", strings.Join(core.NoticeTypes, ", "))
}

// upperFirst makes s a sentence's start: "add an account" is "Add an
// account".
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
