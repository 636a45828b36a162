#include "timer/timing_wheel.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace tcpp::timer {
namespace {

struct Owned {
    Owned() = default;
    explicit Owned(int id_) : id(id_) {}
    Timer timer;
    int id = 0;
};
static_assert(std::is_standard_layout_v<Owned>);

// Recovers the owner of a fired timer: its first member, so the two are pointer-interconvertible.
Owned& owner_of(Timer& timer) { return *reinterpret_cast<Owned*>(&timer); }

TEST(TimingWheel, FiresExactlyAtExpiryNeverEarly) {
    TimingWheel wheel;
    Owned a{1}, b{2}, c{3};
    wheel.arm(a.timer, 5);
    wheel.arm(b.timer, 200);           // level 1
    wheel.arm(c.timer, 60'000'000);    // 60 s in microseconds: level 4
    std::vector<std::pair<int, Tick>> fired;
    auto record = [&](Timer& t) { fired.emplace_back(owner_of(t).id, t.expiry()); };

    wheel.advance(4, record);
    EXPECT_TRUE(fired.empty());
    wheel.advance(5, record);
    EXPECT_EQ(fired, (std::vector<std::pair<int, Tick>>{{1, 5}}));
    EXPECT_FALSE(a.timer.armed());
    wheel.advance(199, record);
    EXPECT_EQ(fired.size(), 1u);
    wheel.advance(200, record);
    EXPECT_EQ(fired.back(), (std::pair<int, Tick>{2, 200}));
    wheel.advance(59'999'999, record);
    EXPECT_EQ(fired.size(), 2u);
    EXPECT_TRUE(c.timer.armed());
    wheel.advance(60'000'000, record);
    EXPECT_EQ(fired.back(), (std::pair<int, Tick>{3, 60'000'000}));
    EXPECT_FALSE(wheel.next_deadline());
}

TEST(TimingWheel, CancelledAndDestroyedTimersNeverFire) {
    TimingWheel wheel;
    Owned kept{1};
    Owned cancelled{2};
    auto destroyed = std::make_unique<Owned>();
    wheel.arm(kept.timer, 1000);
    wheel.arm(cancelled.timer, 1000);
    wheel.arm(destroyed->timer, 1000);
    wheel.cancel(cancelled.timer);
    destroyed.reset();
    int fired = 0;
    wheel.advance(5000, [&](Timer& t) { EXPECT_EQ(owner_of(t).id, 1); ++fired; });
    EXPECT_EQ(fired, 1);
}

TEST(TimingWheel, RearmMovesTheTimer) {
    TimingWheel wheel;
    Owned a;
    wheel.arm(a.timer, 100);
    wheel.arm(a.timer, 10'000);
    std::vector<Tick> fired;
    wheel.advance(9'999, [&](Timer& t) { fired.push_back(t.expiry()); });
    EXPECT_TRUE(fired.empty());
    wheel.advance(20'000, [&](Timer& t) { fired.push_back(t.expiry()); });
    EXPECT_EQ(fired, std::vector<Tick>{10'000});
}

TEST(TimingWheel, ExpiryInThePastFiresAtTheNextAdvance) {
    TimingWheel wheel{1000};
    Owned a;
    wheel.arm(a.timer, 10);
    EXPECT_EQ(wheel.next_deadline(), Tick{1000});
    int fired = 0;
    wheel.advance(1000, [&](Timer&) { ++fired; });
    EXPECT_EQ(fired, 1);
}

TEST(TimingWheel, AdvanceAgainAtTheSameTime_FiresWhatWasArmedForItSinceAndNothingLater) {
    // A stack advances the wheel on every packet, mostly to the time it advanced to last.
    TimingWheel wheel;
    wheel.advance(5000, [](Timer&) {});
    Owned now{1}, soon{2}, past{3};
    wheel.arm(now.timer, 5000);
    wheel.arm(past.timer, 4000);
    wheel.arm(soon.timer, 5001);
    std::vector<int> fired;
    auto record = [&](Timer& t) { fired.push_back(owner_of(t).id); };
    wheel.advance(5000, record);
    EXPECT_EQ(fired, (std::vector<int>{1, 3}));
    wheel.advance(5000, record);
    EXPECT_EQ(fired.size(), 2u);
    wheel.advance(5001, record);
    EXPECT_EQ(fired, (std::vector<int>{1, 3, 2}));
}

TEST(TimingWheel, CallbackMayRearmItself) {
    TimingWheel wheel;
    Owned a;
    wheel.arm(a.timer, 10);
    std::vector<Tick> fired;
    wheel.advance(100, [&](Timer& t) {
        fired.push_back(t.expiry());
        if (fired.size() < 5) wheel.arm(t, t.expiry() + 20);
    });
    EXPECT_EQ(fired, (std::vector<Tick>{10, 30, 50, 70, 90}));
}

TEST(TimingWheel, NextDeadlineIsExactWithin64TicksAndNeverLate) {
    TimingWheel wheel{1'000'000};
    Owned near, far;
    wheel.arm(near.timer, 1'000'040);
    EXPECT_EQ(wheel.next_deadline(), Tick{1'000'040});
    wheel.cancel(near.timer);
    wheel.arm(far.timer, 1'000'000 + 5'000'000);
    auto deadline = wheel.next_deadline();
    ASSERT_TRUE(deadline);
    EXPECT_LE(*deadline, Tick{6'000'000});
    EXPECT_GT(*deadline, Tick{1'000'000});
}

TEST(TimingWheel, HugeDelayIsHeldToTheMaximum) {
    TimingWheel wheel;
    Owned a;
    wheel.arm(a.timer, ~Tick{0});
    EXPECT_EQ(a.timer.expiry(), TimingWheel::max_delay);
}

// Against a reference: many timers, random delays across every level, random cancels and re-arms,
// random advance steps. Every timer fires once, exactly when the wheel's time first reaches its expiry,
// in order of expiry.
TEST(TimingWheel, MatchesAReferenceModel) {
    for (unsigned seed = 1; seed <= 5; ++seed) {
        SCOPED_TRACE(seed);
        std::mt19937_64 random{seed};
        TimingWheel wheel{random() % 1'000'000};
        constexpr int count = 2000;
        std::vector<Owned> timers(count);
        std::map<int, Tick> expected;  // id -> expiry, for armed timers
        for (int i = 0; i < count; ++i) timers[i].id = i;

        auto random_delay = [&]() -> Tick {
            int bits = static_cast<int>(random() % 34);  // up to ~2^33 ticks: 2.4 hours of microseconds
            return random() & ((Tick{1} << bits) - 1);
        };
        Tick previous_now = wheel.now();
        Tick last_fired = 0;
        int total_fired = 0;
        for (int step = 0; step < 4000; ++step) {
            Owned& t = timers[random() % count];
            switch (random() % 4) {
            case 0:
            case 1: {
                Tick expiry = wheel.now() + random_delay();
                wheel.arm(t.timer, expiry);
                expected[t.id] = expiry;
                break;
            }
            case 2:
                wheel.cancel(t.timer);
                expected.erase(t.id);
                break;
            case 3: {
                Tick now = wheel.now() + random_delay() / 64;
                if (auto deadline = wheel.next_deadline(); deadline && !expected.empty()) {
                    Tick earliest = std::min_element(expected.begin(), expected.end(), [](auto& a, auto& b) {
                                        return a.second < b.second;
                                    })->second;
                    ASSERT_LE(*deadline, std::max(earliest, wheel.now()));
                }
                last_fired = 0;
                wheel.advance(now, [&](Timer& fired) {
                    Owned& owner = owner_of(fired);
                    ASSERT_TRUE(expected.contains(owner.id));
                    ASSERT_EQ(expected[owner.id], fired.expiry());
                    ASSERT_LE(fired.expiry(), now);
                    ASSERT_GE(fired.expiry(), last_fired);  // in order of expiry
                    last_fired = fired.expiry();
                    expected.erase(owner.id);
                    ++total_fired;
                });
                for (const auto& [id, expiry] : expected) ASSERT_GT(expiry, now) << "timer " << id << " did not fire";
                previous_now = now;
                break;
            }
            }
        }
        EXPECT_EQ(wheel.now(), previous_now);
        EXPECT_GT(total_fired, 500);  // the steps above do make timers fire, at every level
    }
}

}  // namespace
}  // namespace tcpp::timer
