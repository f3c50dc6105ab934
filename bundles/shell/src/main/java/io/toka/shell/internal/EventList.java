package io.toka.shell.internal;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.security.Permissions;
import io.toka.security.ShellSecurity;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code toka:event-list}: stored events, oldest first, with filters and a cursor. */
@Command(scope = "toka", name = "event-list", description = "Lists stored events, oldest first")
@Service
public class EventList implements Action {

    @Reference
    EventStore store;

    @Reference
    ShellSecurity security;

    @Option(name = "--kind", aliases = "-k", description = "Only this kind, e.g. tool.invoked")
    String kind;

    @Option(name = "--agent", aliases = "-a", description = "Only events concerning this agent")
    String agent;

    @Option(name = "--subject", aliases = "-s", description = "Only events caused by this subject")
    String subject;

    @Option(name = "--after", description = "Only events after this sequence number (the cursor)")
    long after;

    @Option(name = "--limit", aliases = "-n", description = "At most this many (1-1000, default 20)")
    int limit = 20;

    @Override
    public Object execute() {
        security.currentUser().authorize("event.list", List.of(Permissions.EVENT_READ));
        EventPage page = store.query(new EventQuery(kind, agent, subject, null, null, after, limit));
        ShellTable table = new ShellTable();
        table.column("Seq");
        table.column("Time");
        table.column("Kind");
        table.column("Agent");
        table.column("Subject");
        table.column("Payload").maxSize(70);
        for (Event e : page.events()) {
            table.addRow().addContent(e.seq(), e.timestamp(), e.kind(), e.agent() == null ? "" : e.agent(),
                    e.subject() == null ? "" : e.subject(), e.payload());
        }
        table.print(System.out);
        if (page.next() != null) {
            System.out.println("More: toka:event-list --after " + page.next() + (kind == null ? "" : " --kind " + kind));
        }
        return null;
    }
}
