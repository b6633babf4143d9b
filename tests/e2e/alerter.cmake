# Alerter end-to-end tests (included from tests/e2e/CMakeLists.txt).
if(OMNI_BUILD_TESTS)
  omni_cc_test(NAME alerter_e2e_test SRCS ${CMAKE_CURRENT_LIST_DIR}/alerter_e2e_test.cc LABELS e2e
    DEPS omni::e2e_harness omni::httpapi omni::json omni::proto omni::alerting_notify_testing)
  add_dependencies(alerter_e2e_test omniscope-alerter omniscopectl)
  # The alerter and the real Alertmanager side by side (skipped without it).
  omni_cc_test(NAME alerter_compat_test SRCS ${CMAKE_CURRENT_LIST_DIR}/alerter_compat_test.cc LABELS "e2e;compat"
    DEPS omni::e2e_harness omni::httpapi omni::json omni::alerting_notify_testing absl::str_format)
  add_dependencies(alerter_compat_test omniscope-alerter)
  omni_e2e_compat_labels(alerter_compat_test)
  # Rule evaluation: the alerter against a collector.
  omni_cc_test(NAME rules_e2e_test SRCS ${CMAKE_CURRENT_LIST_DIR}/rules_e2e_test.cc LABELS e2e
    DEPS omni::e2e_harness omni::httpapi omni::json omni::alerting_notify_testing)
  add_dependencies(rules_e2e_test omniscope-alerter omniscope-collector omniscope-viewer)
endif()
