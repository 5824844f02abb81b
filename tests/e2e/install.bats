#!/usr/bin/env bats
# make install and make uninstall with PREFIX and DESTDIR: the binary, the
# hooks, the manual pages (revgate(1), one per command, revgate.ini(5)),
# rendered from the tables that print --help and 'revgate help config', and
# the completions for bash, zsh and fish, run against the installed binary.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup_file() {
	DEST=$BATS_FILE_TMPDIR/root
	export DEST PREFIX=/opt/rg
	# the build the suite runs (plain or under the sanitizers)
	unset MAKEFLAGS MAKELEVEL MFLAGS
	make -s -C "$ROOT" install SANITIZE="${REVGATE_SANITIZE:-}" DESTDIR="$DEST" PREFIX="$PREFIX" \
		>"$BATS_FILE_TMPDIR/install.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/install.log" >&3
		return 1
	}
}

setup() {
	BIN=$DEST$PREFIX/bin
	MAN=$DEST$PREFIX/share/man
	export PATH="$BIN:$PATH" NO_COLOR=1
	mkdir -p "$BATS_TEST_TMPDIR/p"
	cd "$BATS_TEST_TMPDIR/p" || return 1
	revgate init >/dev/null
	printf -- '-- revision: aaaa1111\n-- down_revision: none\n-- branch_labels: core\n-- message: first\n\n-- +upgrade\nSELECT 1;\n\n-- +downgrade\nSELECT 2;\n' \
		>migrations/20250101_0000_aaaa1111_first.sql
}

# a page as plain text
page() {
	MANWIDTH=200 man -l "$1" 2>/dev/null | col -bx
}

# the options 'revgate help CMD' (or 'revgate --help') prints, one per line
help_options() {
	revgate "$@" | sed -n 's/^  \(-., \)\{0,1\} *--\([a-z-]*\).*/\2/p'
}

@test "install puts the binary, hooks, pages and completions under DESTDIR and PREFIX" {
	[ -x "$BIN/revgate" ]
	run "$BIN/revgate" --version
	[[ "$output" =~ ^revgate\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ -x "$DEST$PREFIX/share/revgate/hooks/pre-commit" ]
	[ -x "$DEST$PREFIX/share/revgate/hooks/post-merge" ]
	[ -f "$MAN/man1/revgate.1" ]
	[ -f "$MAN/man5/revgate.ini.5" ]
	[ -f "$DEST$PREFIX/share/bash-completion/completions/revgate" ]
	[ -f "$DEST$PREFIX/share/zsh/site-functions/_revgate" ]
	[ -f "$DEST$PREFIX/share/fish/vendor_completions.d/revgate.fish" ]
	# one page per command 'revgate help' lists, and no hidden command
	for c in $(revgate help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
		[ -f "$MAN/man1/revgate-$c.1" ] || { echo "no page for $c"; return 1; }
	done
	[ "$(find "$MAN/man1" -name 'revgate-*.1' | wc -l)" -eq "$(revgate help | sed -n '/^commands:/,/^$/p' | grep -c '^  [a-z]')" ]
	! ls "$MAN/man1" | grep -q -- '-__'
	! revgate help | grep -q __
}

@test "each page renders cleanly and lists every option and key the help prints" {
	# groff's warnings, as lintian asks for them
	for page in "$MAN"/man1/*.1 "$MAN"/man5/*.5; do
		warnings=$(MANWIDTH=100 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
		[ -z "$warnings" ] || { echo "$page: $warnings"; return 1; }
	done
	for c in $(revgate help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
		text=$(page "$MAN/man1/revgate-$c.1")
		[[ "$text" == *"revgate-$c - "* ]]
		for o in $(help_options help "$c"); do
			[[ "$text" == *"--$o"* ]] || { echo "revgate-$c(1) lacks --$o"; return 1; }
		done
	done
	text=$(page "$MAN/man1/revgate.1")
	for c in $(revgate help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
		[[ "$text" == *"revgate-$c(1)"* ]] || { echo "revgate(1) lacks $c"; return 1; }
	done
	for o in $(help_options --help); do
		[[ "$text" == *"--$o"* ]] || { echo "revgate(1) lacks --$o"; return 1; }
	done
	text=$(page "$MAN/man5/revgate.ini.5")
	for k in $(revgate help config | sed -n 's/^  \([a-z_]\{1,\}\) .*/\1/p'); do
		[[ "$text" == *"$k"* ]] || { echo "revgate.ini(5) lacks $k"; return 1; }
	done
	[[ "$text" == *"[database]"* && "$text" == *"[rules]"* ]]
}

@test "uninstall removes everything install wrote" {
	tmp=$BATS_TEST_TMPDIR/again
	unset MAKEFLAGS MAKELEVEL MFLAGS
	make -s -C "$ROOT" install SANITIZE="${REVGATE_SANITIZE:-}" DESTDIR="$tmp" PREFIX=/usr >/dev/null
	[ "$(find "$tmp" -type f | wc -l)" -gt 20 ]
	make -s -C "$ROOT" uninstall DESTDIR="$tmp" PREFIX=/usr >/dev/null
	run find "$tmp" -type f
	[ -z "$output" ]
}

# bash_complete LINE: what the installed bash completion offers at the end of LINE
bash_complete() {
	bash -c '
		source "$1"
		COMP_LINE=$2 COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_revgate
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$DEST$PREFIX/share/bash-completion/completions/revgate" "$1"
}

@test "bash completes commands, options, formats, rule ids and the graph's revisions" {
	[ "$(bash_complete "revgate upg")" = upgrade ]
	[ "$(bash_complete "revgate lint --stri")" = --strict ]
	[ "$(bash_complete "revgate --direc")" = --directory ]
	[ "$(bash_complete "revgate lint --format js")" = json ]
	[ "$(bash_complete "revgate lint --fail-level w")" = warning ]
	[ "$(bash_complete "revgate explain applied-checksum-mi")" = applied-checksum-mismatch ]
	[ "$(bash_complete "revgate explain ban-drop-ta")" = ban-drop-table ]
	[ "$(bash_complete "revgate upgrade aaa")" = aaaa1111 ]
	[ "$(bash_complete "revgate import golang")" = golang-migrate ]
	[ "$(bash_complete "revgate downgrade cor")" = "$(printf 'core\ncore@head')" ]
	run bash_complete "revgate show he"
	[ "$output" = "$(printf 'head\nheads')" ]
	# -C points at another project's graph
	cd /
	[ "$(bash_complete "revgate -C $BATS_TEST_TMPDIR/p show aa")" = aaaa1111 ]
	# bash splits '--format=js' at '='; the completion replaces only 'js'
	run bash -c '
		source "$1"
		COMP_LINE="revgate lint --format=js" COMP_POINT=24
		COMP_WORDS=(revgate lint --format = js) COMP_CWORD=4
		_revgate
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$DEST$PREFIX/share/bash-completion/completions/revgate"
	[ "$output" = json ]
	shellcheck -s bash "$DEST$PREFIX/share/bash-completion/completions/revgate"
}

@test "zsh completes through _describe, with descriptions" {
	command -v zsh >/dev/null || skip "zsh is not installed (scripts/deps.sh test installs it)"
	run zsh -c '
		_describe() { local name=${@[-1]}; print -l -- "${(@P)name}"; }
		_files() { print -- "_files $*"; }
		complete() { words=(${(z)1}); [[ $1 == *" " ]] && words+=(""); CURRENT=${#words}; source "$2"; }
		complete "revgate upg" "$1"
		complete "revgate explain applied-checksum-mi" "$1"
		complete "revgate upgrade core@" "$1"
		complete "revgate init --migrations " "$1"
	' _ "$DEST$PREFIX/share/zsh/site-functions/_revgate"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "upgrade:apply revisions up to a target (default: head)" ]
	[ "${lines[1]}" = "applied-checksum-mismatch:finding (not a lint rule)" ]
	[ "${lines[2]}" = "core@head:the head of a branch label" ]
	[ "${lines[3]}" = "_files -/" ]
}

@test "fish completes commands, options and revisions" {
	command -v fish >/dev/null || skip "fish is not installed (scripts/deps.sh test installs it)"
	run fish -c 'source $argv[1]; complete -C "revgate upg"; complete -C "revgate history --indic"; complete -C "revgate show aa"' \
		"$DEST$PREFIX/share/fish/vendor_completions.d/revgate.fish"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'upgrade\tapply revisions up to a target (default: head)' ]
	[[ "${lines[1]}" == $'--indicate-current\t'* ]]
	[ "${lines[2]}" = $'aaaa1111\tfirst' ]
}
