package io.toka.event;

import java.util.List;

/**
 * A page of events, oldest first.
 *
 * @param events the events
 * @param next the cursor for the next page ({@code after=next}), or {@code null} if this page was the last
 */
public record EventPage(List<Event> events, Long next) {

    /** Copies the list. */
    public EventPage {
        events = List.copyOf(events);
    }
}
