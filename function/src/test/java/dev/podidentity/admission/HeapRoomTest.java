package dev.podidentity.admission;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The in-flight budget follows the room the heap's live set leaves, sixteen bytes of heap per byte. */
// Contract: docs/contract.md#limits
class HeapRoomTest {

    static final long MIB = 1 << 20;

    final InFlightBytes budget = InFlightBytes.of(8 * MIB, 6 * MIB);
    final AtomicLong live = new AtomicLong();
    final HeapRoom room = new HeapRoom(budget, 192 * MIB, live::get);

    @Test
    void withLittleLiveTheWholeBudgetIsLeft() {
        live.set(30 * MIB);

        room.check();

        assertEquals(8 * MIB, budget.capacity(), "(192 - 30 - 24) / 16 = 8.6 MiB: the configured 8 MiB");
    }

    @Test
    void aLargeLiveSetLimitsTheBudgetToWhatFitsAndItIsGivenBackWhenTheHeapFreesUp() {
        live.set(120 * MIB);
        room.check();
        assertEquals(3 * MIB, budget.capacity(), "(192 - 120 - 24) / 16");
        assertEquals(3 * MIB, budget.available());

        live.set(40 * MIB);
        room.check();
        assertEquals(8 * MIB, budget.capacity());
    }

    @Test
    void aHeapWithNoRoomStillLetsOneAdmissionThrough() {
        live.set(190 * MIB);

        room.check();

        assertEquals(InFlightBytes.MIN_WEIGHT, budget.capacity());
    }

    @Test
    void beforeAnyCollectionTheBudgetIsLeftAsConfigured() {
        live.set(0);

        room.check();

        assertEquals(8 * MIB, budget.capacity());
    }

    @Test
    void aLimitBelowWhatIsReservedStopsNewReservationsUntilEnoughIsGivenBack() {
        assertEquals(true, budget.tryReserve(4 * MIB));
        live.set(120 * MIB); // room for 3 MiB

        room.check();

        assertEquals(false, budget.tryReserve(InFlightBytes.MIN_WEIGHT));
        budget.release(4 * MIB);
        assertEquals(true, budget.tryReserve(InFlightBytes.MIN_WEIGHT));
    }
}
