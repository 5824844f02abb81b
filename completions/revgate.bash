# bash completion for revgate. Every candidate comes from the revgate being
# completed ('revgate __complete'), which reads the tables that print
# --help, and the revision graph for revision ids, heads and labels.

_revgate() {
	# the words as typed: bash splits its own COMP_WORDS at '=' and ':'
	local line=${COMP_LINE:0:COMP_POINT} words=()
	read -ra words <<<"$line"
	[[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
	local cur=${COMP_WORDS[COMP_CWORD]} word=${words[${#words[@]} - 1]}
	# what bash does not replace of the word ("--format" before "=json")
	local lead=${word%"$cur"}
	local out cand
	out=$("${words[0]:-revgate}" __complete -- "${words[@]:1}" 2>/dev/null) || return 0
	COMPREPLY=()
	case $out in
	@files)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	@dirs)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		;;
	*)
		while IFS=$'\t' read -r cand _; do
			[ -n "$cand" ] && COMPREPLY+=("${cand#"$lead"}")
		done <<<"$out"
		;;
	esac
}
complete -F _revgate revgate
