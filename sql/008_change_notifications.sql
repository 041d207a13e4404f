-- Servers cache what rarely changes (rules, catalogues, drugs, prescribers) and forget it when any of it
-- changes, on every server: each change notifies the channel crx_changes when its transaction commits.

CREATE FUNCTION notify_cached_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crx_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER drugs_changed AFTER INSERT OR UPDATE OR DELETE ON drugs
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER drug_essential_editions_changed AFTER INSERT OR UPDATE OR DELETE ON drug_essential_editions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER institutions_changed AFTER INSERT OR UPDATE OR DELETE ON institutions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER catalogue_versions_changed AFTER INSERT OR UPDATE OR DELETE ON catalogue_versions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER member_catalogues_changed AFTER INSERT OR UPDATE OR DELETE ON member_catalogues
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER member_catalogue_items_changed AFTER INSERT OR UPDATE OR DELETE ON member_catalogue_items
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER long_rx_rule_sets_changed AFTER INSERT OR UPDATE OR DELETE ON long_rx_rule_sets
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER long_rx_conditions_changed AFTER INSERT OR UPDATE OR DELETE ON long_rx_conditions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER long_rx_level_limits_changed AFTER INSERT OR UPDATE OR DELETE ON long_rx_level_limits
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER long_rx_excluded_drugs_changed AFTER INSERT OR UPDATE OR DELETE ON long_rx_excluded_drugs
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER prescribers_changed AFTER INSERT OR UPDATE OR DELETE ON prescribers
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER consortium_settings_changed AFTER INSERT OR UPDATE OR DELETE ON consortium_settings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
CREATE TRIGGER policy_defaults_changed AFTER INSERT OR UPDATE OR DELETE ON policy_defaults
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cached_data_changed();
