// Cognito user pool triggers. Every trigger shares the same envelope (version, triggerSource, userPoolId,
// callerContext, request, response); the response object arrives pre-filled with the defaults the
// function is expected to change, exactly as Cognito sends it.
import { REGION, stableUuid } from '../aws-values.ts';
import { StringMap, defineTemplate, parseJsonField, type EventTemplate } from '../template.ts';

const USER_POOL_ID = `${REGION}_Ab12Cd34E`;
const CLIENT_ID = '1example23456789abcdefghij';
const SOURCE = 'Amazon Cognito';

const usernameField = { name: 'username' as const, prompt: 'User name', default: 'ada' };
const emailField = { name: 'email' as const, prompt: 'Email address', default: 'ada@example.com' };
const clientMetadataField = {
  name: 'clientMetadata' as const,
  prompt: 'ClientMetadata the app passed, as a JSON object of strings ({} for none)',
  default: '{}',
  kind: 'json' as const,
  schema: StringMap,
};

function envelope<Trigger extends string>(version: string, triggerSource: Trigger, username: string) {
  return {
    version,
    triggerSource,
    region: REGION,
    userPoolId: USER_POOL_ID,
    userName: username,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: CLIENT_ID },
  };
}

/** The attributes of a confirmed user; `sub` is derived from the user name so it is stable. */
function confirmedAttributes(username: string, email: string): Record<string, string> {
  return {
    sub: stableUuid(`cognito/${username}`),
    'cognito:email_alias': email,
    'cognito:user_status': 'CONFIRMED',
    email_verified: 'true',
    email,
  };
}

function withClientMetadata(text: string): { clientMetadata?: Record<string, string> } {
  const metadata = parseJsonField<Record<string, string>>(text);
  return Object.keys(metadata).length > 0 ? { clientMetadata: metadata } : {};
}

const preSignUp = defineTemplate({
  id: 'cognito-pre-sign-up',
  source: SOURCE,
  label: 'Cognito pre sign-up',
  description: 'A user signs up (PreSignUp_SignUp); the function can reject, auto-confirm or auto-verify.',
  fields: [usernameField, emailField, clientMetadataField],
  render: (v) => ({
    ...envelope('1', 'PreSignUp_SignUp', v.username),
    request: { userAttributes: { email: v.email }, validationData: null, ...withClientMetadata(v.clientMetadata) },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  }),
});

const postConfirmation = defineTemplate({
  id: 'cognito-post-confirmation',
  source: SOURCE,
  label: 'Cognito post confirmation',
  description: 'A user confirmed their sign-up (PostConfirmation_ConfirmSignUp): a place to create their profile.',
  fields: [usernameField, emailField, clientMetadataField],
  render: (v) => ({
    ...envelope('1', 'PostConfirmation_ConfirmSignUp', v.username),
    request: { userAttributes: confirmedAttributes(v.username, v.email), ...withClientMetadata(v.clientMetadata) },
    response: {},
  }),
});

const preAuthentication = defineTemplate({
  id: 'cognito-pre-authentication',
  source: SOURCE,
  label: 'Cognito pre authentication',
  description: 'A user is about to sign in (PreAuthentication_Authentication); the function can deny the sign-in.',
  fields: [usernameField, emailField],
  render: (v) => ({
    ...envelope('1', 'PreAuthentication_Authentication', v.username),
    request: { userAttributes: confirmedAttributes(v.username, v.email), validationData: {} },
    response: {},
  }),
});

const postAuthentication = defineTemplate({
  id: 'cognito-post-authentication',
  source: SOURCE,
  label: 'Cognito post authentication',
  description: 'A user signed in (PostAuthentication_Authentication): a place for audit logging.',
  fields: [
    usernameField,
    emailField,
    { name: 'newDevice', prompt: 'Signed in from a new device?', default: 'false', kind: 'choice', choices: ['false', 'true'] },
  ],
  render: (v) => ({
    ...envelope('1', 'PostAuthentication_Authentication', v.username),
    request: { userAttributes: confirmedAttributes(v.username, v.email), newDeviceUsed: v.newDevice === 'true' },
    response: {},
  }),
});

const groupsField = { name: 'groups' as const, prompt: 'Groups the user belongs to, comma separated', default: 'customers' };
const groupsOf = (text: string) =>
  text
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);

const preTokenGeneration = defineTemplate({
  id: 'cognito-pre-token-generation',
  source: SOURCE,
  label: 'Cognito pre token generation (V1)',
  description: 'Tokens are about to be issued (TokenGeneration_Authentication, trigger version 1): add or suppress ID token claims and groups.',
  fields: [usernameField, emailField, groupsField],
  render: (v) => ({
    ...envelope('1', 'TokenGeneration_Authentication', v.username),
    request: {
      userAttributes: confirmedAttributes(v.username, v.email),
      groupConfiguration: { groupsToOverride: groupsOf(v.groups), iamRolesToOverride: [], preferredRole: null },
    },
    response: { claimsOverrideDetails: null },
  }),
});

const preTokenGenerationV2 = defineTemplate({
  id: 'cognito-pre-token-generation-v2',
  source: SOURCE,
  label: 'Cognito pre token generation (V2)',
  description: 'Tokens are about to be issued with trigger version 2: the function can also change access token claims and scopes.',
  fields: [
    usernameField,
    emailField,
    groupsField,
    { name: 'scopes', prompt: 'Requested scopes, space separated', default: 'openid email aws.cognito.signin.user.admin' },
  ],
  render: (v) => ({
    ...envelope('2', 'TokenGeneration_Authentication', v.username),
    request: {
      userAttributes: confirmedAttributes(v.username, v.email),
      groupConfiguration: { groupsToOverride: groupsOf(v.groups), iamRolesToOverride: [], preferredRole: null },
      scopes: v.scopes.split(/\s+/).filter(Boolean),
    },
    response: { claimsAndScopeOverrideDetails: null },
  }),
});

const CUSTOM_MESSAGE_TRIGGERS = [
  'CustomMessage_SignUp',
  'CustomMessage_AdminCreateUser',
  'CustomMessage_ResendCode',
  'CustomMessage_ForgotPassword',
  'CustomMessage_UpdateUserAttribute',
  'CustomMessage_VerifyUserAttribute',
  'CustomMessage_Authentication',
];

const customMessage = defineTemplate({
  id: 'cognito-custom-message',
  source: SOURCE,
  label: 'Cognito custom message',
  description: 'Cognito is about to send a verification or invitation message; the function writes the text around {####}.',
  fields: [
    { name: 'triggerSource', prompt: 'Why the message is sent', default: 'CustomMessage_SignUp', kind: 'choice', choices: CUSTOM_MESSAGE_TRIGGERS },
    usernameField,
    emailField,
  ],
  render: (v) => {
    const invitation = v.triggerSource === 'CustomMessage_AdminCreateUser';
    return {
      ...envelope('1', v.triggerSource, v.username),
      request: {
        userAttributes: {
          ...confirmedAttributes(v.username, v.email),
          'cognito:user_status': invitation ? 'FORCE_CHANGE_PASSWORD' : 'UNCONFIRMED',
          email_verified: 'false',
        },
        codeParameter: '{####}',
        linkParameter: '{##Click Here##}',
        usernameParameter: invitation ? '{username}' : null,
      },
      response: { smsMessage: null, emailMessage: null, emailSubject: null },
    };
  },
});

const challengeSession = [{ challengeName: 'CUSTOM_CHALLENGE' as const, challengeResult: false, challengeMetadata: 'CAPTCHA_CHALLENGE' }];

const defineAuthChallenge = defineTemplate({
  id: 'cognito-define-auth-challenge',
  source: SOURCE,
  label: 'Cognito define auth challenge',
  description: 'Custom authentication flow: decide the next challenge from the session so far.',
  fields: [usernameField, emailField],
  render: (v) => ({
    ...envelope('1', 'DefineAuthChallenge_Authentication', v.username),
    request: { userAttributes: confirmedAttributes(v.username, v.email), session: challengeSession, userNotFound: false },
    response: { challengeName: null, issueTokens: null, failAuthentication: null },
  }),
});

const createAuthChallenge = defineTemplate({
  id: 'cognito-create-auth-challenge',
  source: SOURCE,
  label: 'Cognito create auth challenge',
  description: 'Custom authentication flow: create the challenge (public and private parameters) the user must answer.',
  fields: [usernameField, emailField],
  render: (v) => ({
    ...envelope('1', 'CreateAuthChallenge_Authentication', v.username),
    request: { userAttributes: confirmedAttributes(v.username, v.email), challengeName: 'CUSTOM_CHALLENGE', session: challengeSession, userNotFound: false },
    response: {
      publicChallengeParameters: null,
      privateChallengeParameters: null,
      challengeMetadata: null,
    },
  }),
});

const verifyAuthChallenge = defineTemplate({
  id: 'cognito-verify-auth-challenge',
  source: SOURCE,
  label: 'Cognito verify auth challenge response',
  description: "Custom authentication flow: check the user's answer against the private challenge parameters.",
  fields: [
    usernameField,
    emailField,
    { name: 'answer', prompt: "The user's answer", default: '7R4Q' },
    { name: 'expected', prompt: 'Expected answer (privateChallengeParameters.answer)', default: '7R4Q' },
  ],
  render: (v) => ({
    ...envelope('1', 'VerifyAuthChallengeResponse_Authentication', v.username),
    request: {
      userAttributes: confirmedAttributes(v.username, v.email),
      privateChallengeParameters: { answer: v.expected },
      challengeAnswer: v.answer,
      userNotFound: false,
    },
    response: { answerCorrect: false },
  }),
});

const userMigration = defineTemplate({
  id: 'cognito-user-migration',
  source: SOURCE,
  label: 'Cognito user migration',
  description: 'A user unknown to the pool signs in (UserMigration_Authentication): look them up in the old directory.',
  fields: [usernameField, { name: 'password', prompt: 'Password the user typed', default: 'correct horse battery staple' }],
  render: (v) => ({
    ...envelope('1', 'UserMigration_Authentication', v.username),
    request: { password: v.password, validationData: {} },
    response: {
      userAttributes: null,
      finalUserStatus: null,
      messageAction: null,
      desiredDeliveryMediums: null,
      forceAliasCreation: null,
      enableSMSMFA: null,
    },
  }),
});

export const cognitoTemplates: EventTemplate[] = [
  preSignUp,
  postConfirmation,
  preAuthentication,
  postAuthentication,
  preTokenGeneration,
  preTokenGenerationV2,
  customMessage,
  defineAuthChallenge,
  createAuthChallenge,
  verifyAuthChallenge,
  userMigration,
];
