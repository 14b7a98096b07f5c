package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"oncelink/i18n"
)

// shells are the shells oncelink completion writes scripts for.
var shells = []string{"bash", "zsh", "fish"}

// completionCommand prints the completion script for the shell named.
func completionCommand(*flag.FlagSet) runFunc {
	return func(_ context.Context, p *proc, args []string) error {
		if len(args) != 1 || !slices.Contains(shells, args[0]) {
			return usageError(p.T("cli.completion.one_shell"))
		}
		writeCompletion(p.stdout, args[0], completionNodes(p.loc, commandTable()))
		return nil
	}
}

// completionNode is what a shell offers after a command: its subcommands,
// or the words it takes, and its flags.
type completionNode struct {
	path   string // "/user/add"; "" before any command
	words  []completionWord
	flags  []completionWord // "--db", with its usage
	valued []string         // the flags that take a value
}

type completionWord struct{ word, summary string }

// completionNodes walks the table, describing commands and flags in l's
// language. Before any command the flags are serve's, since
// "oncelink --addr ..." serves.
func completionNodes(l *i18n.Localizer, cmds []command) []completionNode {
	root := completionNode{}
	for _, c := range cmds {
		root.words = append(root.words, completionWord{c.name, l.T(c.summary)})
		if c.name == "serve" {
			root.flags, root.valued = flagNames(c, l)
		}
	}
	nodes := []completionNode{root}
	var walk func(c command, parent string)
	walk = func(c command, parent string) {
		n := completionNode{path: parent + "/" + c.name}
		for _, sub := range c.subcommands {
			n.words = append(n.words, completionWord{sub.name, l.T(sub.summary)})
		}
		for _, w := range c.words {
			n.words = append(n.words, completionWord{w, ""})
		}
		if n.path == "/help" {
			// help takes a command's name.
			n.words = append(n.words, root.words...)
		}
		if c.subcommands == nil {
			n.flags, n.valued = flagNames(c, l)
		}
		nodes = append(nodes, n)
		for _, sub := range c.subcommands {
			walk(sub, n.path)
		}
	}
	for _, c := range cmds {
		walk(c, "")
	}
	return nodes
}

// flagNames are c's flags, and those of them that take a value.
func flagNames(c command, l *i18n.Localizer) (flags []completionWord, valued []string) {
	fs := newFlagSet("")
	c.flags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := valueName(f, l)
		flags = append(flags, completionWord{flagWord(f.Name), usage})
		if !isBoolFlag(f) {
			valued = append(valued, flagWord(f.Name))
		}
	})
	return append(flags, completionWord{"--help", "print the command's arguments and flags"}), valued
}

// writeCompletion writes shell's script. Each script finds the command
// typed so far by following words that name subcommands, as run does, then
// offers that command's subcommands or flags; a flag's value, and an
// argument of a command without words, complete as file names.
func writeCompletion(w io.Writer, shell string, nodes []completionNode) {
	var paths []string
	for _, n := range nodes[1:] {
		paths = append(paths, n.path)
	}
	switch shell {
	case "bash":
		fmt.Fprintf(w, `# bash completion for oncelink, from "oncelink completion bash". Load it with
#   source <(oncelink completion bash)
_oncelink() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmdpath= i words= flags= valued=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case "$cmdpath/${COMP_WORDS[i]}" in
		%s) cmdpath=$cmdpath/${COMP_WORDS[i]} ;;
		esac
	done
	case $cmdpath in
`, strings.Join(paths, "|"))
		for _, n := range nodes {
			fmt.Fprintf(w, "\t%s)\n\t\twords=%s\n\t\tflags=%s\n\t\tvalued=%s\n\t\t;;\n",
				shQuote(n.path), shQuote(strings.Join(wordsOf(n.words), " ")), shQuote(strings.Join(wordsOf(n.flags), " ")), shQuote(strings.Join(n.valued, " ")))
		}
		fmt.Fprint(w, `	esac
	# A flag's value: let -o default offer file names.
	[[ " $valued " == *" $prev "* ]] && return
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
	fi
}
complete -o default -F _oncelink oncelink
`)
	case "zsh":
		fmt.Fprintf(w, `#compdef oncelink
# zsh completion for oncelink, from "oncelink completion zsh". Load it, after
# compinit, with
#   source <(oncelink completion zsh)
_oncelink() {
	local cmdpath= i
	local -a subs flags valued
	for ((i = 2; i < CURRENT; i++)); do
		case "$cmdpath/${words[i]}" in
		(%s) cmdpath=$cmdpath/${words[i]} ;;
		esac
	done
	case $cmdpath in
`, strings.Join(paths, "|"))
		for _, n := range nodes {
			var described []string
			for _, word := range n.words {
				described = append(described, shQuote(strings.ReplaceAll(word.word, ":", `\:`)+":"+word.summary))
			}
			fmt.Fprintf(w, "\t(%s)\n\t\tsubs=(%s)\n\t\tflags=(%s)\n\t\tvalued=(%s)\n\t\t;;\n",
				shQuote(n.path), strings.Join(described, " "), strings.Join(wordsOf(n.flags), " "), strings.Join(n.valued, " "))
		}
		fmt.Fprint(w, `	esac
	if (( ${valued[(Ie)${words[CURRENT-1]}]} )); then
		_files
	elif [[ ${words[CURRENT]} == -* ]]; then
		compadd -- $flags
	elif (( ${#subs} )); then
		_describe command subs
	else
		_files
	fi
}
compdef _oncelink oncelink
`)
	case "fish":
		fmt.Fprintf(w, `# fish completion for oncelink, from "oncelink completion fish". Load it with
#   oncelink completion fish | source

# __oncelink_at tells whether the command typed so far is the one at $argv[1].
function __oncelink_at
	set -l words (commandline -opc)
	set -e words[1]
	set -l cmdpath ''
	for w in $words
		switch "$cmdpath/$w"
			case %s
				set cmdpath "$cmdpath/$w"
		end
	end
	test "$cmdpath" = "$argv[1]"
end
complete -c oncelink -f
`, strings.Join(paths, " "))
		for _, n := range nodes {
			at := fishQuote("__oncelink_at " + fishQuote(n.path))
			for _, word := range n.words {
				fmt.Fprintf(w, "complete -c oncelink -n %s -a %s -d %s\n", at, fishQuote(word.word), fishQuote(word.summary))
			}
			for _, f := range n.flags {
				valued := ""
				if slices.Contains(n.valued, f.word) {
					valued = " -r -F"
				}
				fmt.Fprintf(w, "complete -c oncelink -n %s %s%s -d %s\n", at, fishFlag(f.word), valued, fishQuote(f.summary))
			}
		}
	}
}

// fishFlag is a flag as fish's complete names it: -l ttl, or -s o.
func fishFlag(word string) string {
	if long, ok := strings.CutPrefix(word, "--"); ok {
		return "-l " + long
	}
	return "-s " + strings.TrimPrefix(word, "-")
}

func wordsOf(list []completionWord) []string {
	var words []string
	for _, w := range list {
		words = append(words, w.word)
	}
	return words
}

// shQuote quotes s for bash and zsh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes s for fish, where a backslash escapes within quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
