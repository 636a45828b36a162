# One bounded fuzzing run, for ctest: cmake -D FUZZER=... -D SECONDS=... -D WORKDIR=... -D ARTIFACTS=...
# -D SEEDDIR=... -P run-fuzzer.cmake. WORKDIR starts empty, so every run starts from the seeds alone; new inputs
# go there, never into SEEDDIR. Fails when the fuzzer exits non-zero (a crash, a leak, a timeout, out of memory).

foreach(variable FUZZER SECONDS WORKDIR ARTIFACTS SEEDDIR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "run-fuzzer.cmake: ${variable} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}" "${ARTIFACTS}")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
          -artifact_prefix=${ARTIFACTS}/ "${WORKDIR}" "${SEEDDIR}"
  WORKING_DIRECTORY "${WORKDIR}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} exited with ${result}: the input that failed is in ${ARTIFACTS}/")
endif()
