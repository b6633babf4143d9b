#include "libs/alerting/types/types.h"

#include <catch2/catch.hpp>

namespace omni::alerting {
namespace {

TEST_CASE("Fingerprint equals Prometheus model.LabelSet.Fingerprint", "[alerting][types][unit]") {
  // Values from prometheus/common model/signature_test.go (TestLabelsToSignature /
  // TestMetricToFingerprint).
  CHECK(LabelsFingerprint(model::Labels()) == 14695981039346656037ULL);
  CHECK(LabelsFingerprint(model::Labels::FromPairs({{"name", "garland, briggs"}, {"fear", "love is not enough"}})) ==
        5799056148416392346ULL);
  CHECK(FingerprintString(0x1234) == "0000000000001234");
}

TEST_CASE("Alert resolution and merging", "[alerting][types][unit]") {
  absl::Time t0 = absl::FromUnixSeconds(1000);
  Alert a;
  a.labels = model::Labels::FromPairs({{"alertname", "X"}});
  a.starts_at = t0;
  CHECK_FALSE(a.ResolvedAt(t0 + absl::Hours(10)));
  a.ends_at = t0 + absl::Minutes(5);
  CHECK_FALSE(a.ResolvedAt(t0 + absl::Minutes(4)));
  CHECK(a.ResolvedAt(t0 + absl::Minutes(5)));

  SECTION("younger wins, earliest start kept") {
    Alert older = a;
    older.updated_at = t0;
    older.ends_at = t0 + absl::Minutes(5);
    older.timeout = true;
    Alert newer = a;
    newer.starts_at = t0 + absl::Minutes(1);
    newer.ends_at = t0 + absl::Minutes(10);
    newer.updated_at = t0 + absl::Minutes(1);
    Alert m = Alert::Merge(newer, older, t0 + absl::Minutes(2));
    CHECK(m.starts_at == t0);
    CHECK(m.ends_at == t0 + absl::Minutes(10));
  }
  SECTION("a later non-timeout end wins over a firing update") {
    Alert older = a;
    older.updated_at = t0;
    older.ends_at = t0 + absl::Minutes(30);
    older.timeout = false;
    Alert newer = a;
    newer.updated_at = t0 + absl::Minutes(1);
    newer.ends_at = t0 + absl::Minutes(20);
    Alert m = Alert::Merge(older, newer, t0 + absl::Minutes(2));
    CHECK(m.ends_at == t0 + absl::Minutes(30));
  }
}

TEST_CASE("Marker tracks suppression", "[alerting][types][unit]") {
  Marker m;
  CHECK(m.Status(1).state == AlertState::kUnprocessed);
  m.SetInhibited(1, {"00000000000000ff"});
  CHECK(m.Status(1).state == AlertState::kSuppressed);
  m.SetSilenced(1, 1, {"sil"}, {});
  m.SetInhibited(1, {});
  CHECK(m.Status(1).state == AlertState::kSuppressed);
  m.SetSilenced(1, 2, {}, {"pending"});
  CHECK(m.Status(1).state == AlertState::kActive);
  CHECK(m.Count(AlertState::kActive) == 1);
  m.Delete(1);
  CHECK(m.Status(1).state == AlertState::kUnprocessed);
}

TEST_CASE("SortAlerts orders by job, instance, then labels", "[alerting][types][unit]") {
  std::vector<Alert> as(3);
  as[0].labels = model::Labels::FromPairs({{"a", "1"}});
  as[1].labels = model::Labels::FromPairs({{"job", "b"}});
  as[2].labels = model::Labels::FromPairs({{"job", "a"}, {"instance", "z"}});
  SortAlerts(as);
  CHECK(as[0].labels.Get("job") == "a");
  CHECK(as[1].labels.Get("job") == "b");
  CHECK(as[2].labels.Get("a") == "1");
  CHECK(LabelSetString(as[2].labels) == R"({a="1"})");
}

}  // namespace
}  // namespace omni::alerting

namespace omni::alerting {
namespace {

TEST_CASE("Received alerts get AM's defaults and validation", "[alerting][types][unit]") {
  absl::Time now = absl::FromUnixSeconds(1000);
  Alert a;
  a.labels = model::Labels::FromPairs({{"alertname", "X"}});
  PrepareReceivedAlert(a, now, absl::Minutes(5));
  CHECK(a.starts_at == now);
  CHECK(a.ends_at == now + absl::Minutes(5));
  CHECK(a.timeout);
  CHECK(a.updated_at == now);
  CHECK(ValidateAlert(a).ok());

  Alert r;
  r.labels = a.labels;
  r.ends_at = now - absl::Minutes(1);
  PrepareReceivedAlert(r, now, absl::Minutes(5));
  CHECK(r.starts_at == now - absl::Minutes(1));
  CHECK_FALSE(r.timeout);

  Alert bad;
  CHECK(ValidateAlert(bad).message() == "start time missing");
  bad.starts_at = now;
  CHECK(ValidateAlert(bad).message() == "at least one label pair required");
  bad.ends_at = now - absl::Seconds(1);
  CHECK(ValidateAlert(bad).message() == "start time must be before end time");
  bad.ends_at = kZeroTime;
  bad.labels = model::Labels::FromPairs({{"a-b", "x"}});
  CHECK(ValidateAlert(bad).message() == "invalid label set: invalid name \"a-b\"");
  bad.labels = model::Labels::FromPairs({{"a", "\xff"}});
  CHECK(ValidateAlert(bad).message() == "invalid label set: invalid value \"\xff\"");

  // Annotation names are checked like label names (AM 0.25 model.Alert.Validate);
  // an empty annotation value is valid.
  bad.labels = model::Labels::FromPairs({{"alertname", "x"}});
  bad.annotations = Annotations::FromPairs({{"runbook", ""}});
  CHECK(ValidateAlert(bad).ok());
  bad.annotations = Annotations::FromPairs({{"run-book", ""}});
  CHECK(ValidateAlert(bad).message() == "invalid annotations: invalid name \"run-book\"");
  bad.annotations = Annotations::FromPairs({{"", "x"}});
  CHECK(ValidateAlert(bad).message() == "invalid annotations: invalid name \"\"");
}

TEST_CASE("Annotations keep empty values, sorted, last duplicate wins", "[alerting][types][unit]") {
  Annotations a = Annotations::FromUnsorted({{"summary", "s"}, {"runbook", "r"}, {"runbook", ""}, {"b", "x"}});
  REQUIRE(a.size() == 3);
  CHECK(a.begin()->name == "b");
  CHECK(a.Has("runbook"));
  CHECK(a.Get("runbook").empty());
  CHECK(a.Get("summary") == "s");
  CHECK_FALSE(a.Has("missing"));
  CHECK(Annotations().empty());
  CHECK(a == Annotations::FromPairs({{"b", "x"}, {"runbook", ""}, {"summary", "s"}}));
  CHECK_FALSE(a == Annotations::FromPairs({{"b", "x"}, {"summary", "s"}}));

  // Merge keeps the younger alert's annotations, empty values included.
  absl::Time now = absl::FromUnixSeconds(1000);
  Alert older, younger;
  older.labels = younger.labels = model::Labels::FromPairs({{"alertname", "x"}});
  older.annotations = Annotations::FromPairs({{"runbook", "r"}});
  younger.annotations = a;
  older.updated_at = now - absl::Seconds(10);
  younger.updated_at = now;
  CHECK(Alert::Merge(older, younger, now).annotations == a);
  CHECK(Alert::Merge(younger, older, now).annotations == a);
}

TEST_CASE("Annotations::CommonWith compares as Go maps (missing reads as empty)", "[alerting][types][unit]") {
  Annotations a = Annotations::FromPairs({{"summary", "s"}, {"runbook", ""}, {"desc", "d"}});
  Annotations b = Annotations::FromPairs({{"summary", "s"}, {"desc", "other"}});
  CHECK(Annotations::CommonWith(a, b) == Annotations::FromPairs({{"runbook", ""}, {"summary", "s"}}));
  Annotations c = Annotations::FromPairs({{"runbook", "r"}});
  CHECK(Annotations::CommonWith(a, c).empty());
  CHECK(Annotations::CommonWith(Annotations(), a).empty());
}

}  // namespace
}  // namespace omni::alerting

#include "libs/alerting/types/notification_data.h"

namespace omni::alerting {
namespace {

TEST_CASE("NotificationData has AM's status and common labels", "[alerting][types][unit]") {
  absl::Time now = absl::FromUnixSeconds(1000);
  std::vector<Alert> as(2);
  as[0].labels = model::Labels::FromPairs({{"alertname", "Down"}, {"job", "api"}, {"instance", "a"}});
  as[0].annotations = Annotations::FromPairs({{"summary", "down"}, {"runbook", "r1"}});
  as[0].starts_at = now - absl::Minutes(5);
  as[1].labels = model::Labels::FromPairs({{"alertname", "Down"}, {"job", "api"}, {"instance", "b"}});
  as[1].annotations = Annotations::FromPairs({{"summary", "down"}, {"runbook", "r2"}});
  as[1].starts_at = now - absl::Minutes(5);
  as[1].ends_at = now - absl::Minutes(1);
  NotificationData d = BuildNotificationData("team.a", model::Labels::FromPairs({{"alertname", "Down"}}), as, now,
                                             "http://am:9093");
  CHECK(d.receiver == "team\\.a");
  CHECK(d.status == "firing");
  CHECK(d.common_labels == model::Labels::FromPairs({{"alertname", "Down"}, {"job", "api"}}));
  CHECK(d.common_annotations == Annotations::FromPairs({{"summary", "down"}}));
  CHECK(d.Firing().size() == 1);
  CHECK(d.Resolved().size() == 1);
  CHECK(d.alerts[1].status == "resolved");
  CHECK(d.alerts[0].fingerprint == FingerprintString(as[0].GetFingerprint()));
  as[0].ends_at = now;
  CHECK(BuildNotificationData("r", {}, as, now, "").status == "resolved");

  // Empty annotation values reach the alert data and stay common as in AM.
  as[0].annotations = Annotations::FromPairs({{"summary", "down"}, {"runbook", ""}});
  as[1].annotations = Annotations::FromPairs({{"summary", "down"}});
  NotificationData e = BuildNotificationData("r", {}, as, now, "");
  CHECK(e.alerts[0].annotations.Has("runbook"));
  CHECK(e.common_annotations == Annotations::FromPairs({{"runbook", ""}, {"summary", "down"}}));
}

}  // namespace
}  // namespace omni::alerting
