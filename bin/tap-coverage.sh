# Sourced by the bin/ shims when run by tap (our tests). When NODE_OPTIONS is exactly tap's
# coverage hook (@tapjs/processinfo's --import), node runs without it and records its own V8
# coverage (NODE_V8_COVERAGE) into the directory tap's report reads, .tap/coverage: c8 reads both
# formats, so what the process covers still counts. Loading the hook cost each process ~0.27 s of
# CPU (ES modules and Node 20's module-hooks thread) and again in each worker thread it starts:
# a mount's daemon and session worker 0.87-0.93 s of CPU against 0.29-0.31 s without.
case ${NODE_OPTIONS-} in
  '"--import=file://'*'/node_modules/@tapjs/processinfo/dist/esm/import.mjs"')
    if [ "${_TAPJS_PROCESSINFO_COVERAGE_-}" = 1 ]; then
      NODE_V8_COVERAGE=$_TAPJS_PROCESSINFO_CWD_/.tap/coverage
      export NODE_V8_COVERAGE
    fi
    unset NODE_OPTIONS ;;
esac
