// A contact (vCard) or calendar item (iCalendar) as the preview shows it: unfolded lines,
// friendly labels, dates readable; the item's changed occurrences counted.
const CARD_LABELS = {
  FN: 'Name', EMAIL: 'E-mail', TEL: 'Phone', ADR: 'Address', ORG: 'Company', TITLE: 'Title', ROLE: 'Profession',
  BDAY: 'Birthday', ANNIVERSARY: 'Anniversary', URL: 'Web', NOTE: 'Notes', CATEGORIES: 'Categories', MEMBER: 'Member',
  NICKNAME: 'Nickname', IMPP: 'Chat', SUMMARY: 'Subject', LOCATION: 'Location', DTSTART: 'Starts', DTEND: 'Ends',
  RRULE: 'Repeats', EXDATE: 'Except', 'RECURRENCE-ID': 'Changed occurrence', ORGANIZER: 'Organizer', ATTENDEE: 'Attendee',
  DESCRIPTION: 'Description', DUE: 'Due', STATUS: 'Status', 'PERCENT-COMPLETE': 'Done %', PRIORITY: 'Priority',
};

/** A vCard's or iCalendar item's text as [label, value] rows, its first component only. */
export function cardRows(text) {
  const lines = text.replace(/\r\n /g, '').split(/\r\n/);
  const rows = [];
  let depth = 0;
  for (const l of lines) {
    if (l.startsWith('BEGIN:')) { depth++; if (l !== 'BEGIN:VCARD' && l !== 'BEGIN:VEVENT' && l !== 'BEGIN:VTODO' && l !== 'BEGIN:VJOURNAL') depth += 10; continue; }
    // The first component is the item; those after it are its changed occurrences.
    if (['END:VCARD', 'END:VEVENT', 'END:VTODO', 'END:VJOURNAL'].includes(l)) {
      const more = lines.filter((x) => x.startsWith('RECURRENCE-ID')).length;
      if (more) rows.push(['Changed occurrences', String(more)]);
      break;
    }
    if (l.startsWith('END:')) { depth -= 11; continue; }
    if (depth !== 1) continue;
    const colon = l.indexOf(':');
    if (colon < 0) continue;
    const [name, ...params] = l.slice(0, colon).split(';');
    const label = CARD_LABELS[name];
    if (!label) continue;
    let value = l.slice(colon + 1).replace(/\\n/g, '\n').replace(/\\([,;\\])/g, '$1');
    if (name === 'ADR') value = value.split(';').filter(Boolean).join(', ');
    if (/^(DTSTART|DTEND|DUE|EXDATE|RECURRENCE-ID|BDAY|ANNIVERSARY)$/.test(name)) {
      const m = value.match(/^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2}))?/);
      const tz = params.find((x) => x.startsWith('TZID='));
      if (m) value = `${m[1]}-${m[2]}-${m[3]}${m[4] ? ` ${m[4]}:${m[5]}` : ''}${value.endsWith('Z') ? ' UTC' : tz ? ` (${tz.slice(5)})` : ''}`;
    }
    const cn = params.find((x) => x.startsWith('CN='));
    if (cn) value = `${cn.slice(3).replace(/"/g, '')} <${value.replace(/^mailto:/i, '')}>`;
    rows.push([label, value.replace(/^mailto:/i, '')]);
  }
  return rows;
}

