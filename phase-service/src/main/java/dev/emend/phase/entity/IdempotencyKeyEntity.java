package dev.emend.phase.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.Objects;

/** A client idempotency key: the request it was first used for and the edits it produced. */
@Entity
@Table(name = "idempotency_key")
public class IdempotencyKeyEntity extends PanacheEntityBase {
    @EmbeddedId
    public Key id;
    @Column(name = "request_hash")
    public String requestHash;
    /** Comma-separated edit ids. */
    @Column(name = "edit_ids")
    public String editIds;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    /** (space, key). */
    @Embeddable
    public static class Key implements Serializable {
        public String space;
        public String key;

        public Key() {
        }

        public Key(String space, String key) {
            this.space = space;
            this.key = key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(space, k.space) && Objects.equals(key, k.key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(space, key);
        }
    }
}
