# fish completion for revgate. Every candidate comes from the revgate being
# completed ('revgate __complete'), which reads the tables that print
# --help, and the revision graph for revision ids, heads and labels.

function __revgate_complete
    set -l tokens (commandline -opc) (commandline -ct)
    set -l out (command $tokens[1] __complete -- $tokens[2..-1] 2>/dev/null)
    switch "$out"
        case @files
            __fish_complete_path (commandline -ct)
        case @dirs
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\n' $out
    end
end

complete -c revgate -f -a '(__revgate_complete)'
