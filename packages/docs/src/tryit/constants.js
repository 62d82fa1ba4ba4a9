// @ts-check
/** The id of the script element that holds the page's Try it data (written by ./build.js, read by ./panel.js). */
export const DATA_ELEMENT_ID = 'qzz-tryit-data';
